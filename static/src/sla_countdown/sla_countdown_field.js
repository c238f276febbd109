import { Component, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const { DateTime } = luxon;
const REFRESH_MS = 30000;

/** "2 h 14 min", "1 d 3 h", "35 min", "< 1 min" for a duration in milliseconds. */
export function formatDuration(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    if (days) {
        return hours ? _t("%(days)s d %(hours)s h", { days, hours }) : _t("%(days)s d", { days });
    }
    if (hours) {
        return mins ? _t("%(hours)s h %(mins)s min", { hours, mins }) : _t("%(hours)s h", { hours });
    }
    return mins ? _t("%(mins)s min", { mins }) : _t("< 1 min");
}

/**
 * Live SLA countdown on a deadline: "2 h 14 min left", "late by 35 min", "paused",
 * refreshed every 30 seconds without reloading the record.
 */
export class SlaCountdownField extends Component {
    static template = "helpdesk_sla.SlaCountdownField";
    static props = {
        ...standardFieldProps,
        pausedField: { type: String, optional: true },
        reachedField: { type: String, optional: true },
        statusField: { type: String, optional: true },
    };

    setup() {
        this.state = useState({ now: DateTime.now() });
        const timer = setInterval(() => (this.state.now = DateTime.now()), REFRESH_MS);
        onWillUnmount(() => clearInterval(timer));
    }

    get data() {
        return this.props.record.data;
    }

    get info() {
        const deadline = this.data[this.props.name];
        if (this.props.reachedField && this.data[this.props.reachedField]) {
            return { text: _t("reached"), cls: "text-bg-success" };
        }
        if (this.props.pausedField && this.data[this.props.pausedField]) {
            return { text: _t("paused"), cls: "text-bg-secondary" };
        }
        if (!deadline) {
            return null;
        }
        const diff = deadline.diff(this.state.now).as("milliseconds");
        if (diff < 0) {
            return { text: _t("late by %s", formatDuration(diff)), cls: "text-bg-danger" };
        }
        const atRisk = this.props.statusField && this.data[this.props.statusField] === "warning";
        return {
            text: _t("%s left", formatDuration(diff)),
            cls: atRisk ? "text-bg-warning" : "text-bg-info",
        };
    }

    get title() {
        const deadline = this.data[this.props.name];
        return deadline ? deadline.toLocaleString(DateTime.DATETIME_MED) : "";
    }
}

export const slaCountdownField = {
    component: SlaCountdownField,
    displayName: _t("SLA Countdown"),
    supportedTypes: ["datetime"],
    fieldDependencies: ({ options }) => [
        options.paused_field && { name: options.paused_field, type: "boolean", readonly: true },
        options.reached_field && { name: options.reached_field, type: "datetime", readonly: true },
        options.status_field && { name: options.status_field, type: "selection", readonly: true },
    ].filter(Boolean),
    extractProps: ({ options }) => ({
        pausedField: options.paused_field,
        reachedField: options.reached_field,
        statusField: options.status_field,
    }),
};

registry.category("fields").add("sla_countdown", slaCountdownField);

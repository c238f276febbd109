import { markup, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { escape } from "@web/core/utils/strings";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { ListController } from "@web/views/list/list_controller";
import { listView } from "@web/views/list/list_view";

/**
 * The help shown when no ticket is listed: the action's "no tickets yet" help when nothing
 * narrows the search, else a message that says the filters match nothing.
 */
export function ticketNoContentHelp(searchModel, help) {
    const filtered = searchModel.facets.some((facet) => facet.type !== "groupBy");
    if (!filtered) {
        return help;
    }
    return markup(
        `<p class="o_view_nocontent_empty_folder o_helpdesk_nocontent_filtered">${escape(
            _t("No ticket matches these filters")
        )}</p><p>${escape(_t("Remove a filter or search for something else to see more tickets."))}</p>`
    );
}

export class HelpdeskTicketKanbanController extends KanbanController {
    static template = "helpdesk_sla.TicketKanbanView";

    get ticketNoContentHelp() {
        return ticketNoContentHelp(this.env.searchModel, this.props.info.noContentHelp);
    }
}

export class HelpdeskTicketListController extends ListController {
    static template = "helpdesk_sla.TicketListView";

    get ticketNoContentHelp() {
        return ticketNoContentHelp(this.env.searchModel, this.props.info.noContentHelp);
    }
}

/**
 * My Queue: the list, with the live counts of its failed and at-risk tickets above it
 * (computed by the tickets' own SLA searches, so they never wait for the status cron).
 */
export class HelpdeskTicketQueueController extends HelpdeskTicketListController {
    static template = "helpdesk_sla.TicketQueueView";

    setup() {
        super.setup();
        this.queueCounts = useState({ failed: 0, atRisk: 0, loaded: false });
        onWillStart(() => this.loadQueueCounts(this.props.domain));
        onWillUpdateProps((nextProps) => this.loadQueueCounts(nextProps.domain));
    }

    async loadQueueCounts(domain) {
        const [failed, atRisk] = await Promise.all([
            this.orm.searchCount("helpdesk.ticket", [...domain, ["sla_fail", "=", true]]),
            this.orm.searchCount("helpdesk.ticket", [...domain, ["sla_at_risk", "=", true]]),
        ]);
        Object.assign(this.queueCounts, { failed, atRisk, loaded: true });
    }
}

registry.category("views").add("helpdesk_ticket_queue", {
    ...listView,
    Controller: HelpdeskTicketQueueController,
});
registry.category("views").add("helpdesk_ticket_kanban", {
    ...kanbanView,
    Controller: HelpdeskTicketKanbanController,
});
registry.category("views").add("helpdesk_ticket_list", {
    ...listView,
    Controller: HelpdeskTicketListController,
});

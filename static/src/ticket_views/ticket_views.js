import { markup } from "@odoo/owl";
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

registry.category("views").add("helpdesk_ticket_kanban", {
    ...kanbanView,
    Controller: HelpdeskTicketKanbanController,
});
registry.category("views").add("helpdesk_ticket_list", {
    ...listView,
    Controller: HelpdeskTicketListController,
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/**
 * The first hour of an agent. Data: tests/test_tour_first_hour.py (team "Hour Desk").
 * From the overview to the team's tickets (the team a removable facet), the queue sorted by
 * the next SLA deadline, a filtered empty state, a ticket with one paused and one running
 * clock, a reply that moves the countdown, the SLA tab, and "Solve".
 */
registry.category("web_tour.tours").add("helpdesk_sla_first_hour_agent_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Helpdesk app",
            trigger: '.o_app[data-menu-xmlid="helpdesk_sla.helpdesk_menu_root"]',
            run: "click",
        },
        {
            content: "Open the team's open tickets from its card",
            trigger: '.o_kanban_record:contains("Hour Desk") button[name="action_view_tickets"]',
            run: "click",
        },
        {
            content: "The team is a facet of the search: remove it",
            trigger: '.o_searchview_facet:contains("Hour Desk") .o_facet_remove',
            run: "click",
        },
        {
            content: "Without the facet, the other team's ticket shows too",
            trigger: '.o_kanban_view .o_kanban_record:contains("Other desk question")',
        },
        {
            content: "Open the Tickets menu",
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_ticket_menu_main"]',
            run: "click",
        },
        {
            content: "Open My Queue",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_ticket_menu_queue"]',
            run: "click",
        },
        {
            content: "Failed first",
            trigger: '.o_list_view .o_data_row:eq(0):contains("Hour failed ticket")',
        },
        {
            content: "Then the soonest deadline",
            trigger: '.o_list_view .o_data_row:eq(1):contains("Hour urgent ticket")',
        },
        {
            content: "The queue counts its failed tickets",
            trigger: '.o_helpdesk_queue_counts .o_helpdesk_queue_failed:contains("1 failed")',
        },
        {
            content: "and its tickets at risk",
            trigger: '.o_helpdesk_queue_counts .o_helpdesk_queue_at_risk:contains("1 at risk")',
        },
        {
            content: "Search for something no ticket has",
            trigger: ".o_searchview_input",
            run: "edit Nothing matches zzqx",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "The empty state says that the filters match nothing",
            trigger: '.o_view_nocontent .o_helpdesk_nocontent_filtered:contains("No ticket matches these filters")',
        },
        {
            content: "Remove the search",
            trigger: '.o_searchview_facet:contains("Nothing matches zzqx") .o_facet_remove',
            run: "click",
        },
        {
            content: "Open the urgent ticket",
            trigger: '.o_list_view .o_data_row:contains("Hour urgent ticket") td[name="name"]',
            run: "click",
        },
        {
            content: "The first response is due within the hour",
            trigger: '.o_form_view .oe_title .o_sla_countdown:contains("min left"):not(:contains(" h "))',
        },
        {
            content: "The priority is written next to its stars",
            trigger: '.o_form_view .oe_title .o_helpdesk_priority_label:contains("Urgent")',
        },
        {
            content: "Policy chips show their whole name",
            trigger: '.o_form_view .o_helpdesk_sla_chips .o_tag:contains("Hour: resolution in 8 hours, paused while waiting")',
        },
        {
            content: "The SLA tab",
            trigger: '.o_notebook .nav-link:contains("SLA")',
            run: "click",
        },
        {
            content: "Four readable columns, no start date or pause flag",
            trigger: '.o_helpdesk_sla_lines thead:contains("Policy"):contains("Time Left"):contains("Due"):contains("Status"):not(:contains("Clock Started")):not(:contains("Paused"))',
        },
        {
            content: "Reply to the customer",
            trigger: ".o-mail-Chatter-topbar button.o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit We are looking at it right now.",
        },
        {
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the conversation",
            trigger: '.o-mail-Message-body:contains("We are looking at it right now")',
        },
        {
            content: "The countdown follows without reloading: the next deadline is the resolution's",
            trigger: '.o_form_view .oe_title .o_sla_countdown:contains("7 h")',
        },
        {
            content: "Solve in one click",
            trigger: '.o_form_view .o_form_statusbar button[name="action_solve"]',
            run: "click",
        },
        {
            content: "The ticket is solved",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Hour Solved")',
        },
        {
            content: "Back to the queue",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("My Queue")',
            run: "click",
        },
        {
            content: "Open the ticket waiting on the customer",
            trigger: '.o_list_view .o_data_row:contains("Hour waiting ticket") td[name="name"]',
            run: "click",
        },
        {
            content: "One clock is paused but the other runs: the header shows the running deadline",
            trigger: '.o_form_view .oe_title .o_sla_countdown:contains("left"):not(:contains("paused"))',
        },
    ],
});

/**
 * The first hour of a manager. Data: tests/test_tour_first_hour.py.
 * A policy for any priority pausing where the team waits, the SLA matrix, holidays and
 * working hours from the Configuration menu, the alias-domain warning on the team.
 */
registry.category("web_tour.tours").add("helpdesk_sla_first_hour_manager_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Helpdesk app",
            trigger: '.o_app[data-menu-xmlid="helpdesk_sla.helpdesk_menu_root"]',
            run: "click",
        },
        {
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            content: "Open the SLA policies",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_sla_menu"]',
            run: "click",
        },
        {
            content: "No meaningless sum of hours in the team's group header",
            trigger: '.o_list_view .o_group_header:contains("Hour Desk"):not(:contains("12:00"))',
        },
        {
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: '.o_form_view .o_field_widget[name="name"] input',
            run: "edit Hour: any first response in 2 h",
        },
        {
            content: "A new policy is for any priority",
            trigger: '.o_field_widget[name="priority"] input[data-value="any"]:checked',
        },
        {
            content: "Choose Urgent...",
            trigger: '.o_field_widget[name="priority"] input[data-value="3"]',
            run: "click",
        },
        {
            content: "...and Any again",
            trigger: '.o_field_widget[name="priority"] input[data-value="any"]',
            run: "click",
        },
        {
            trigger: '.o_field_widget[name="team_id"] input',
            run: "edit Hour Desk",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains("Hour Desk")',
            run: "click",
        },
        {
            content: "The new policy pauses in the team's waiting stage by itself",
            trigger: '.o_field_widget[name="exclude_stage_ids"] .o_tag:contains("Hour Waiting")',
        },
        {
            trigger: '.o_field_widget[name="target_type"] input[data-value="first_response"]',
            run: "click",
        },
        {
            trigger: '.o_field_widget[name="time"] input',
            run: "edit 02:00",
        },
        {
            trigger: ".o_form_view .o_form_button_save:visible",
            run: "click",
        },
        {
            content: "The policy is saved",
            trigger: '.o_breadcrumb:contains("Hour: any first response in 2 h")',
        },
        {
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            content: "Open the SLA matrix",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_sla_matrix_menu"]',
            run: "click",
        },
        {
            trigger: '.modal .o_field_widget[name="team_id"] input',
            run: "edit Hour Desk",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains("Hour Desk")',
            run: "click",
        },
        {
            content: "Priorities are the rows: Urgent first, with its response time",
            trigger: '.modal .o_helpdesk_sla_matrix .o_data_row:eq(0):contains("Urgent"):contains("01:00")',
        },
        {
            content: "Edit the Urgent resolution cell",
            trigger: '.modal .o_helpdesk_sla_matrix .o_data_row:eq(0) td[name="resolution_time"]',
            run: "click",
        },
        {
            trigger: '.modal .o_helpdesk_sla_matrix .o_data_row:eq(0) td[name="resolution_time"] input',
            run: "edit 04:00",
        },
        {
            trigger: '.modal footer button[name="action_apply"]',
            run: "click",
        },
        {
            content: "Back on the team's policies, with the new one",
            trigger: '.o_list_view .o_data_row:contains("Urgent: Resolution")',
        },
        {
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            content: "Working hours without developer mode",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_working_time_menu"]',
            run: "click",
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Hour Calendar")',
        },
        {
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            content: "Time off and public holidays",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_calendar_leaves_menu"]',
            run: "click",
        },
        {
            content: "The friendly list of the coming closing days",
            trigger: '.o_list_view .o_data_row:contains("Hour Founders Day")',
        },
        {
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_team_menu"]',
            run: "click",
        },
        {
            trigger: '.o_data_row:contains("Hour Desk") td[name="name"], .o_kanban_record:contains("Hour Desk")',
            run: "click",
        },
        {
            content: "No alias domain: the team form says so and links to the settings",
            trigger: '.o_form_view .o_helpdesk_alias_domain_warning:contains("No alias domain"):contains("settings")',
        },
    ],
});

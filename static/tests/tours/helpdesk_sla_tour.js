import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/**
 * An agent answers an urgent ticket and solves it. Data: tests/test_tour.py
 * (team "Tour Desk", urgent ticket "Server room is flooding", folded stage "Tour Solved").
 */
registry.category("web_tour.tours").add("helpdesk_sla_agent_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Helpdesk app",
            trigger: '.o_app[data-menu-xmlid="helpdesk_sla.helpdesk_menu_root"]',
            run: "click",
        },
        {
            content: "The overview has a card per team: open the urgent tickets of the team",
            trigger: '.o_kanban_record:contains("Tour Desk") a[name="action_view_tickets"]:contains("Urgent")',
            run: "click",
        },
        {
            content: "Only the urgent ticket is listed",
            trigger: '.o_kanban_view:has(.o_kanban_record:contains("Server room is flooding")):not(:has(.o_kanban_record:contains("Typo on the pricing page")))',
        },
        {
            content: "Open the urgent ticket",
            trigger: '.o_kanban_record:contains("Server room is flooding")',
            run: "click",
        },
        {
            content: "The ticket form is open, with its SLA countdown",
            trigger: '.o_form_view:has(.o_sla_countdown) .o_breadcrumb:contains("Server room is flooding")',
        },
        {
            content: "Reply to the customer",
            trigger: ".o-mail-Chatter-topbar button.o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            content: "Write the reply",
            trigger: ".o-mail-Composer-input",
            run: "edit We are on it: a technician is on the way.",
        },
        {
            content: "Send the reply",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the conversation",
            trigger: '.o-mail-Message-body:contains("We are on it")',
        },
        {
            content: "Closing stages sit behind the statusbar's '...' button",
            trigger: ".o_statusbar_status button.dropdown-toggle.o_first",
            run: "click",
        },
        {
            content: "Move the ticket to Solved",
            trigger: '.o-dropdown--menu .dropdown-item:contains("Tour Solved")',
            run: "click",
        },
        {
            content: "The ticket is solved and saved",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Tour Solved")',
        },
        {
            content: "The record is saved",
            trigger: ".o_form_view .o_form_status_indicator:not(:has(.o_form_button_save:visible))",
        },
    ],
});

/** A manager creates an SLA policy in its form. Data: tests/test_tour.py. */
registry.category("web_tour.tours").add("helpdesk_sla_manager_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Helpdesk app",
            trigger: '.o_app[data-menu-xmlid="helpdesk_sla.helpdesk_menu_root"]',
            run: "click",
        },
        {
            content: "Open the Configuration menu",
            trigger: '.o_main_navbar [data-menu-xmlid="helpdesk_sla.helpdesk_menu_config"]',
            run: "click",
        },
        {
            content: "Open the SLA policies",
            trigger: '.dropdown-item[data-menu-xmlid="helpdesk_sla.helpdesk_sla_menu"]',
            run: "click",
        },
        {
            content: "Create a policy",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: '.o_form_view .o_field_widget[name="name"] input',
            run: "edit Tour: urgent resolution in 6 h",
        },
        {
            content: "Choose the team",
            trigger: '.o_field_widget[name="team_id"] input',
            run: "edit Tour Desk",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains("Tour Desk")',
            run: "click",
        },
        {
            content: "The team's working hours show once the team is set (the stages are looked up in it)",
            trigger: '.o_field_widget[name="resource_calendar_id"]:contains("Tour Hours")',
        },
        {
            content: "The target: resolution",
            trigger: '.o_field_widget[name="target_type"] input[data-value="resolution"]',
            run: "click",
        },
        {
            content: "Reached when the ticket is solved",
            trigger: '.o_field_widget[name="stage_id"] input',
            run: "edit Tour Solved",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains("Tour Solved")',
            run: "click",
        },
        {
            content: "Within 6 hours",
            trigger: '.o_field_widget[name="time"] input',
            run: "edit 06:00",
        },
        {
            content: "Counted 24/7",
            trigger: '.o_field_widget[name="time_basis"] input[data-value="always"]',
            run: "click",
        },
        {
            content: "Paused while waiting on the customer",
            trigger: '.o_field_widget[name="exclude_stage_ids"] input',
            run: "edit Tour Waiting",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains("Tour Waiting")',
            run: "click",
        },
        {
            content: "For urgent tickets",
            trigger: '.o_field_widget[name="priority"] input[data-value="3"]',
            run: "click",
        },
        {
            content: "Save the policy",
            trigger: ".o_form_view .o_form_button_save:visible",
            run: "click",
        },
        {
            content: "The policy is saved",
            trigger: '.o_form_view .o_form_status_indicator:not(:has(.o_form_button_save:visible))',
        },
        {
            trigger: '.o_breadcrumb:contains("Tour: urgent resolution in 6 h")',
        },
    ],
});

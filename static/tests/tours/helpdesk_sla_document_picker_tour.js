import { registry } from "@web/core/registry";

/**
 * On a ticket whose customer is set, the Related Document picker offers only that
 * customer's sales orders. Data: tests/test_after_sales.py (orders "SO-CARLA" of the
 * ticket's customer and "SO-OSCAR" of another customer).
 */
registry.category("web_tour.tours").add("helpdesk_sla_document_picker_tour", {
    steps: () => [
        {
            content: "Choose the kind of document: a sales order",
            trigger: '.o_field_widget[name="document_ref"] select',
            run: "select sale.order",
        },
        {
            content: "Open the record picker",
            trigger: '.o_field_widget[name="document_ref"] input',
            run: "click",
        },
        {
            content: "Only the customer's order is offered",
            trigger: '.o-autocomplete--dropdown-menu:contains("SO-CARLA"):not(:contains("SO-OSCAR"))',
        },
        {
            content: "Pick it",
            trigger: '.o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item:contains("SO-CARLA")',
            run: "click",
        },
        {
            content: "Save the ticket",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The ticket is saved",
            trigger: ".o_form_saved",
        },
        {
            content: "The Document button names the order",
            trigger: '.oe_stat_button[name="action_open_document"]:contains("SO-CARLA")',
        },
    ],
});

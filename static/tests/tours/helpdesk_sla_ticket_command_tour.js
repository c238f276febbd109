import { registry } from "@web/core/registry";

/**
 * An agent turns a Discuss conversation into a ticket by typing /ticket in the
 * composer. Data: tests/test_ticket_command.py (group conversation with a customer).
 */
registry.category("web_tour.tours").add("helpdesk_sla_ticket_command_tour", {
    steps: () => [
        {
            content: "The conversation is open",
            trigger: '.o-mail-Message:contains("Which model is it?")',
        },
        {
            content: "Type the command in the composer",
            trigger: ".o-mail-Composer-input",
            run: "edit /ticket Printer jams on page two",
        },
        {
            content: "Send it",
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            content: "The link to the new ticket is posted in the conversation",
            trigger: '.o-mail-NotificationMessage:contains("created from this conversation")',
        },
    ],
});

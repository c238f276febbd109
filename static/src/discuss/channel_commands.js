import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

// "/ticket <subject>" in any conversation: a helpdesk ticket with the conversation as description
registry.category("discuss.channel_commands").add("ticket", {
    help: _t("Create a helpdesk ticket (/ticket subject)"),
    methodName: "execute_command_ticket",
});

/** @odoo-module **/
// Dashboard → failing endpoint → its exception → what to do → retry → resolve
// with a note: the path an integration user takes to fix a refused message.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("integration_exception_tour", {
    url: "/odoo/action-distribution_integration_base.integration_endpoint_action",
    steps: () => [
        {
            content: "The failing endpoint shows a failure rate, not 100 %",
            trigger: ".o_kanban_record:contains(Tour partner) .o_integration_figure_failing_count_24h:contains(0.0 %)",
        },
        {
            content: "Open the endpoint's open exceptions from its card",
            trigger: ".o_kanban_record:contains(Tour partner) .o_integration_figure_open_exception_count:contains(1)",
            run: "click",
        },
        {
            content: "Exactly the one counted exception is listed",
            trigger: ".o_list_view .o_data_row:contains(TOUR-SKU-1)",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(2)))",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row:contains(TOUR-SKU-1) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "It says what to do",
            trigger: ".o_form_view .alert-info:contains(What to do)",
        },
        {
            content: "Retry the message",
            trigger: ".o_form_view button[name=action_retry]",
            run: "click",
        },
        {
            content: "Retry confirms what it queued",
            trigger: ".o_notification:contains(Retry queued)",
        },
        {
            content: "Resolve",
            trigger: ".o_form_view button[name=action_resolve]",
            run: "click",
        },
        {
            content: "Resolving asks what was done",
            trigger: ".modal div[name=resolution_note] textarea",
            run: "edit Mapped TOUR-SKU-1 to the partner's item code",
        },
        {
            trigger: ".modal button[name=action_resolve]",
            run: "click",
        },
        {
            content: "The exception is resolved",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
    ],
});

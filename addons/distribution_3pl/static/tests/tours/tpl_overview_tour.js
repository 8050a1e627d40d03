/** The 3PL overview: a count opens exactly the deliveries it counts. */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("distribution_3pl_overview_tour", {
    url: "/odoo/action-distribution_3pl.action_tpl_overview",
    steps: () => [
        {
            content: "The card of the tour's account shows one release awaiting confirmation",
            trigger:
                ".o_kanban_record:contains('Tour 3PL') .o_tpl_releases_waiting .o_tpl_count:contains('1')",
        },
        {
            content: "Open the releases awaiting confirmation",
            trigger: ".o_kanban_record:contains('Tour 3PL') .o_tpl_releases_waiting",
            run: "click",
        },
        {
            content: "The list shows the released delivery, and only it",
            trigger: ".o_list_view .o_data_row:contains('TOUR-3PL-ORDER')",
        },
        {
            content: "One row",
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(2)))",
        },
    ],
});

/** @odoo-module **/
// What a buyer and an AP clerk see of the supplier's EDI answers.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("edi_supplier_changes_tour", {
    // The test opens the order itself (its id is only known there).
    steps: () => [
        {
            content: "The supplier's answer on the line is shown",
            trigger: ".o_field_one2many[name=order_line] .o_data_row td[name=edi_status]:contains(Waiting for the buyer)",
        },
        {
            content: "Ordered 10 beside the 8 the supplier confirms, without opening optional columns",
            trigger: ".o_field_one2many[name=order_line] .o_data_row:has(td[name=product_qty]:contains(10.00)) td[name=edi_confirmed_qty]:contains(8.00)",
        },
        {
            content: "The confirmed price and the supplier's note have their columns",
            trigger: ".o_field_one2many[name=order_line] th[data-name=edi_confirmed_price]",
        },
        {
            trigger: ".o_field_one2many[name=order_line] th[data-name=edi_note]",
        },
        {
            content: "The documents exchanged are named by what they are",
            trigger: ".o_notebook .nav-link[name=edi_documents]",
            run: "click",
        },
        {
            trigger: ".o_field_one2many[name=edi_document_ids] td[name=document_label]:contains(855 Order response)",
        },
        {
            trigger: ".o_field_one2many[name=edi_document_ids] td[name=document_label]:contains(850 Purchase order)",
        },
    ],
});

registry.category("web_tour.tours").add("edi_bill_mismatch_tour", {
    steps: () => [
        {
            content: "The bill says it cannot be posted, and why",
            trigger: ".o_form_view .alert-danger:contains(Three-way match failed):contains(invoiced at)",
        },
        {
            content: "Each line: ordered, received, invoiced, with its unit and prices",
            trigger: ".o_edi_match_panel thead:contains(Ordered):contains(Received):contains(Invoiced):contains(Unit)",
        },
        {
            trigger: ".o_edi_match_panel tbody tr:contains(Catalogue BRKT-050):contains(Units):contains(3.00):contains(4.15)",
        },
        {
            trigger: ".o_field_widget[name=edi_match_state] .badge:contains(Mismatch)",
        },
        {
            content: "Approve the difference",
            trigger: ".o_form_view button[name=action_edi_approve_mismatch]",
            run: "click",
        },
        {
            content: "The confirmation says the bill is not posted",
            trigger: ".modal:contains(stays a draft) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The bill is approved and no longer blocked",
            trigger: ".o_field_widget[name=edi_match_state] .badge:contains(Difference approved)",
        },
        {
            trigger: ".o_form_view:not(:has(.alert-danger:contains(Three-way match failed)))",
        },
        {
            content: "Still a draft: approving does not post",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
    ],
});

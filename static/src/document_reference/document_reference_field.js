import { registry } from "@web/core/registry";
import { ReferenceField, referenceField } from "@web/views/fields/reference/reference_field";

/**
 * The ticket's "Related Document": Odoo's reference field whose record picker only
 * offers the customer's own documents. The domain per document model comes from a
 * JSON field of the record (``document_ref_domains`` unless ``domains_field`` says
 * otherwise), computed by the server from the ticket's customer.
 */
export class DocumentReferenceField extends ReferenceField {
    static props = {
        ...ReferenceField.props,
        domainsField: { type: String, optional: true },
    };

    get m2oProps() {
        const props = super.m2oProps;
        const relation = props.relation;
        return {
            ...props,
            domain: () => {
                const domains = this.props.record.data[this.props.domainsField] || {};
                return domains[relation] || [];
            },
        };
    }
}

export const documentReferenceField = {
    ...referenceField,
    component: DocumentReferenceField,
    extractProps({ options }) {
        const props = referenceField.extractProps(...arguments);
        props.domainsField = options.domains_field || "document_ref_domains";
        return props;
    },
};

registry.category("fields").add("helpdesk_document_reference", documentReferenceField);

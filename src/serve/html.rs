//! Readable property names (English) and HTML escaping. The record pages
//! themselves are rendered by the web UI ([`super::ui::dataset_page`]).

use crate::ns;

/// Readable labels of the properties DCAT-AP and HealthDCAT-AP records use most.
const LABELS: [(&str, &str); 40] = [
    (ns::RDF_TYPE, "Type"),
    ("http://purl.org/dc/terms/title", "Title"),
    ("http://purl.org/dc/terms/description", "Description"),
    ("http://purl.org/dc/terms/identifier", "Identifier"),
    ("http://purl.org/dc/terms/issued", "Issued"),
    ("http://purl.org/dc/terms/modified", "Modified"),
    ("http://purl.org/dc/terms/publisher", "Publisher"),
    ("http://purl.org/dc/terms/creator", "Creator"),
    ("http://purl.org/dc/terms/spatial", "Spatial coverage"),
    ("http://purl.org/dc/terms/temporal", "Temporal coverage"),
    ("http://purl.org/dc/terms/accessRights", "Access rights"),
    ("http://purl.org/dc/terms/license", "Licence"),
    ("http://purl.org/dc/terms/language", "Language"),
    ("http://purl.org/dc/terms/format", "Format"),
    ("http://purl.org/dc/terms/conformsTo", "Conforms to"),
    ("http://purl.org/dc/terms/provenance", "Provenance"),
    ("http://purl.org/dc/terms/hasPart", "Has part"),
    ("http://purl.org/dc/terms/isPartOf", "Part of"),
    ("http://purl.org/dc/terms/accrualPeriodicity", "Frequency"),
    ("http://www.w3.org/ns/dcat#keyword", "Keyword"),
    ("http://www.w3.org/ns/dcat#theme", "Theme"),
    ("http://www.w3.org/ns/dcat#contactPoint", "Contact point"),
    ("http://www.w3.org/ns/dcat#distribution", "Distribution"),
    ("http://www.w3.org/ns/dcat#dataset", "Dataset"),
    ("http://www.w3.org/ns/dcat#landingPage", "Landing page"),
    ("http://www.w3.org/ns/dcat#accessURL", "Access URL"),
    ("http://www.w3.org/ns/dcat#downloadURL", "Download URL"),
    ("http://www.w3.org/ns/dcat#mediaType", "Media type"),
    ("http://www.w3.org/ns/dcat#startDate", "Start"),
    ("http://www.w3.org/ns/dcat#endDate", "End"),
    ("http://www.w3.org/ns/dcat#inSeries", "In series"),
    ("http://www.w3.org/ns/dcat#accessService", "Access service"),
    ("http://www.w3.org/ns/dcat#endpointURL", "Endpoint URL"),
    ("http://xmlns.com/foaf/0.1/name", "Name"),
    ("http://xmlns.com/foaf/0.1/homepage", "Home page"),
    ("http://xmlns.com/foaf/0.1/primaryTopic", "Describes"),
    ("http://www.w3.org/2006/vcard/ns#fn", "Name"),
    ("http://www.w3.org/2006/vcard/ns#hasEmail", "E-mail"),
    ("http://www.w3.org/ns/adms#status", "Status"),
    ("http://www.w3.org/2000/01/rdf-schema#label", "Label"),
];

/// A property's label: from the table, else its local name in words
/// (`numberOfRecords` → "Number of records").
pub fn label(iri: &str) -> String {
    if let Some((_, label)) = LABELS.iter().find(|(p, _)| *p == iri) {
        return (*label).to_string();
    }
    let local = iri
        .rsplit(['#', '/'])
        .find(|part| !part.is_empty())
        .unwrap_or(iri);
    let mut words = String::new();
    for (i, c) in local.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else if i == 0 {
            words.extend(c.to_uppercase());
        } else {
            words.push(c);
        }
    }
    words
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_escaping() {
        assert_eq!(label("http://purl.org/dc/terms/title"), "Title");
        assert_eq!(
            label("http://healthdataportal.eu/ns/health#numberOfRecords"),
            "Number of records"
        );
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}

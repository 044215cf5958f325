//! IRIs of the SHACL vocabulary and the few RDF, RDFS and XSD terms the
//! engine reads. Kept apart from [`crate::ns`], which lists what katalog
//! itself reads and writes.

pub const SH: &str = "http://www.w3.org/ns/shacl#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
pub const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
pub const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
pub const RDF_NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
pub const RDF_LANG_STRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
pub const RDFS_CLASS: &str = "http://www.w3.org/2000/01/rdf-schema#Class";
pub const RDFS_SUBCLASS_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subClassOf";
pub const OWL_IMPORTS: &str = "http://www.w3.org/2002/07/owl#imports";
pub const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";

/// Every term of the SHACL vocabulary (Core and SPARQL, plus the advanced
/// features' terms that may legitimately appear in a shapes graph), so that
/// anything else in the `sh:` namespace can be reported as unknown.
#[rustfmt::skip]
pub const KNOWN_SH_TERMS: &[&str] = &[
    // Classes
    "AbstractResult", "AndConstraintComponent", "BlankNode", "BlankNodeOrIRI",
    "BlankNodeOrLiteral", "ClassConstraintComponent", "ClosedConstraintComponent",
    "ConstraintComponent", "DatatypeConstraintComponent", "DisjointConstraintComponent",
    "EqualsConstraintComponent", "ExpressionConstraintComponent", "Function",
    "HasValueConstraintComponent", "IRI", "IRIOrLiteral", "InConstraintComponent", "Info",
    "JSConstraint", "JSConstraintComponent", "JSExecutable", "JSFunction", "JSLibrary",
    "JSRule", "JSTarget", "JSTargetType", "JSValidator", "LanguageInConstraintComponent",
    "LessThanConstraintComponent", "LessThanOrEqualsConstraintComponent", "Literal",
    "MaxCountConstraintComponent", "MaxExclusiveConstraintComponent",
    "MaxInclusiveConstraintComponent", "MaxLengthConstraintComponent",
    "MinCountConstraintComponent", "MinExclusiveConstraintComponent",
    "MinInclusiveConstraintComponent", "MinLengthConstraintComponent", "NodeConstraintComponent",
    "NodeKind", "NodeKindConstraintComponent", "NodeShape", "NotConstraintComponent",
    "OrConstraintComponent", "Parameter", "Parameterizable", "PatternConstraintComponent",
    "PrefixDeclaration", "PropertyConstraintComponent", "PropertyGroup", "PropertyShape",
    "QualifiedMaxCountConstraintComponent", "QualifiedMinCountConstraintComponent",
    "ResultAnnotation", "Rule", "SPARQLAskExecutable", "SPARQLAskValidator", "SPARQLConstraint",
    "SPARQLConstraintComponent", "SPARQLConstructExecutable", "SPARQLExecutable",
    "SPARQLFunction", "SPARQLRule", "SPARQLSelectExecutable", "SPARQLSelectValidator",
    "SPARQLTarget", "SPARQLTargetType", "SPARQLUpdateExecutable", "Severity", "Shape",
    "Target", "TargetType", "TripleRule", "UniqueLangConstraintComponent", "ValidationReport",
    "ValidationResult", "Validator", "Violation", "Warning", "XoneConstraintComponent",
    "this",
    // Properties
    "alternativePath", "and", "annotationProperty", "annotationValue", "annotationVarName",
    "ask", "class", "closed", "condition", "conforms", "construct", "datatype", "deactivated",
    "declare", "defaultValue", "description", "detail", "disjoint", "entailment", "equals",
    "expression", "filterShape", "flags", "focusNode", "group", "hasValue", "ignoredProperties",
    "in", "intersection", "inversePath", "js", "jsFunctionName", "jsLibrary", "jsLibraryURL",
    "labelTemplate", "languageIn", "lessThan", "lessThanOrEquals", "maxCount", "maxExclusive",
    "maxInclusive", "maxLength", "message", "minCount", "minExclusive", "minInclusive",
    "minLength", "name", "namespace", "node", "nodeKind", "nodeValidator", "nodes", "not",
    "object", "oneOrMorePath", "optional", "or", "order", "parameter", "path", "pattern",
    "predicate", "prefix", "prefixes", "property", "propertyValidator", "qualifiedMaxCount",
    "qualifiedMinCount", "qualifiedValueShape", "qualifiedValueShapesDisjoint", "result",
    "resultAnnotation", "resultMessage", "resultPath", "resultSeverity", "returnType", "rule",
    "select", "severity", "shapesGraph", "shapesGraphWellFormed", "sourceConstraint",
    "sourceConstraintComponent", "sourceShape", "sparql", "subject", "suggestedShapesGraph",
    "target", "targetClass", "targetNode", "targetObjectsOf", "targetSubjectsOf", "union",
    "uniqueLang", "update", "validator", "value", "xone", "zeroOrMorePath", "zeroOrOnePath",
];

/// `sh:` term.
pub fn sh(local: &str) -> String {
    format!("{SH}{local}")
}

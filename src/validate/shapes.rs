//! Compiling a shapes graph into a [`ShapeSet`]: every shape, target,
//! path and constraint read once into plain Rust values, with a warning for
//! whatever the engine has to skip.

use super::data::Interner;
use super::path::{read_list, PropertyPath};
use super::report::Severity;
use super::sparql::{self, CompiledQuery, QueryForm};
use super::vocab::{self, sh};
use super::xsd::Lexical;
use super::{LoadError, ShapesError};
use oxrdf::{
    Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef,
};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path as FsPath;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

pub(crate) type ShapeId = usize;
/// Index of a constant term (predicate, class) of the shapes graph; a
/// validation run resolves each to the data graph's id once.
pub(crate) type ConstId = usize;

/// Something in the shapes graph the engine skipped or could not use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShapeWarning {
    /// The shape (or other node) the warning is about, if any.
    pub node: Option<Term>,
    pub message: String,
    /// True when SHACL calls the shapes graph ill-formed because of this
    /// (a strict processor would stop); false for things SHACL simply
    /// ignores, such as unknown terms.
    pub ill_formed: bool,
}

impl fmt::Display for ShapeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(node) = &self.node {
            write!(f, "{node}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A compiled path: predicates as constants.
#[derive(Debug)]
pub(crate) enum Path {
    Predicate(ConstId),
    Inverse(Box<Path>),
    Sequence(Vec<Path>),
    Alternative(Vec<Path>),
    ZeroOrMore(Box<Path>),
    OneOrMore(Box<Path>),
    ZeroOrOne(Box<Path>),
}

#[derive(Debug)]
pub(crate) enum Target {
    Node(Term),
    Class(ConstId),
    SubjectsOf(ConstId),
    ObjectsOf(ConstId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Iri,
    BlankNode,
    Literal,
    BlankNodeOrIri,
    BlankNodeOrLiteral,
    IriOrLiteral,
}

impl NodeKind {
    fn from_iri(iri: &str) -> Option<Self> {
        Some(match iri.strip_prefix(vocab::SH)? {
            "IRI" => NodeKind::Iri,
            "BlankNode" => NodeKind::BlankNode,
            "Literal" => NodeKind::Literal,
            "BlankNodeOrIRI" => NodeKind::BlankNodeOrIri,
            "BlankNodeOrLiteral" => NodeKind::BlankNodeOrLiteral,
            "IRIOrLiteral" => NodeKind::IriOrLiteral,
            _ => return None,
        })
    }

    pub(crate) fn accepts(self, term: TermRef<'_>) -> bool {
        let (iri, blank, literal) = (
            term.is_named_node(),
            term.is_blank_node(),
            term.is_literal(),
        );
        match self {
            NodeKind::Iri => iri,
            NodeKind::BlankNode => blank,
            NodeKind::Literal => literal,
            NodeKind::BlankNodeOrIri => blank || iri,
            NodeKind::BlankNodeOrLiteral => blank || literal,
            NodeKind::IriOrLiteral => iri || literal,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            NodeKind::Iri => "an IRI",
            NodeKind::BlankNode => "a blank node",
            NodeKind::Literal => "a literal",
            NodeKind::BlankNodeOrIri => "a blank node or an IRI",
            NodeKind::BlankNodeOrLiteral => "a blank node or a literal",
            NodeKind::IriOrLiteral => "an IRI or a literal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeKind {
    MinExclusive,
    MinInclusive,
    MaxExclusive,
    MaxInclusive,
}

/// A SPARQL-based constraint (`sh:sparql`).
#[derive(Debug)]
pub(crate) struct SparqlConstraint {
    pub(crate) node: Term,
    pub(crate) query: CompiledQuery,
    pub(crate) messages: Vec<Literal>,
}

/// A use of a SPARQL-based constraint component by a shape.
#[derive(Debug)]
pub(crate) struct ComponentConstraint {
    pub(crate) component: NamedNode,
    /// Shared by the constraints of one shape that differ only in parameter values.
    pub(crate) query: Arc<CompiledQuery>,
    /// Parameter names and this shape's values for them, in the query's pre-binding order.
    pub(crate) parameters: Vec<(String, Term)>,
    pub(crate) messages: Vec<Literal>,
}

#[derive(Debug)]
pub(crate) enum Constraint {
    Class(ConstId),
    Datatype {
        datatype: NamedNode,
        lexical: Option<Lexical>,
    },
    NodeKind(NodeKind),
    MinCount(u64),
    MaxCount(u64),
    Range {
        kind: RangeKind,
        bound: Term,
    },
    MinLength(u64),
    MaxLength(u64),
    Pattern {
        regex: Regex,
        pattern: String,
    },
    LanguageIn(Vec<String>),
    UniqueLang,
    Equals(ConstId),
    Disjoint(ConstId),
    LessThan(ConstId),
    LessThanOrEquals(ConstId),
    Not(ShapeId),
    And(Vec<ShapeId>),
    Or(Vec<ShapeId>),
    Xone(Vec<ShapeId>),
    Node(ShapeId),
    Property(ShapeId),
    Qualified {
        shape: ShapeId,
        min: Option<u64>,
        max: Option<u64>,
        /// Sibling qualified value shapes, when `sh:qualifiedValueShapesDisjoint` is true.
        siblings: Vec<ShapeId>,
    },
    Closed {
        allowed: Vec<ConstId>,
    },
    HasValue(Term),
    /// The allowed values, interned for lookups by borrowed term.
    In(Interner<Vec<Term>>),
    Sparql(Box<SparqlConstraint>),
    Component(Box<ComponentConstraint>),
}

#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) node: Term,
    /// The path as written (for reports) and compiled; `None` for node shapes.
    pub(crate) path: Option<(PropertyPath, Path)>,
    pub(crate) targets: Vec<Target>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) severity: Severity,
    pub(crate) messages: Vec<Literal>,
    pub(crate) deactivated: bool,
}

/// A compiled shapes graph. Build it once (it is `Send + Sync`) and
/// validate any number of data graphs with it, in parallel if you like.
#[derive(Debug)]
pub struct ShapeSet {
    /// Unique per compiled set, so a [`super::Background`] can remember what it prepared.
    pub(crate) uid: u64,
    pub(crate) shapes: Vec<Shape>,
    /// Shapes with at least one target, in shapes-graph order.
    pub(crate) targeted: Vec<ShapeId>,
    pub(crate) constants: Vec<Term>,
    pub(crate) warnings: Vec<ShapeWarning>,
    /// Kept only when a SPARQL query reads `$shapesGraph`.
    pub(crate) shapes_graph: Option<Graph>,
}

impl ShapeSet {
    /// Compiles every shape of `graph`. Never fails: what cannot be used is
    /// skipped and reported in [`ShapeSet::warnings`].
    pub fn from_graph(graph: &Graph) -> ShapeSet {
        Compiler::new(graph).run()
    }

    /// Reads and compiles shapes files (syntax from the extension), merged into one shapes graph.
    pub fn from_files(paths: &[impl AsRef<FsPath>]) -> Result<ShapeSet, LoadError> {
        let mut graph = Graph::new();
        for path in paths {
            for triple in super::load::read_triples(path.as_ref())? {
                graph.insert(&triple);
            }
        }
        Ok(ShapeSet::from_graph(&graph))
    }

    pub fn warnings(&self) -> &[ShapeWarning] {
        &self.warnings
    }

    /// Fails when the shapes graph is ill-formed in a way SHACL says a
    /// processor must report (the lenient engine skipped those parts).
    pub fn check_well_formed(&self) -> Result<(), ShapesError> {
        let problems: Vec<ShapeWarning> = self
            .warnings
            .iter()
            .filter(|w| w.ill_formed)
            .cloned()
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ShapesError { problems })
        }
    }

    /// Number of shapes compiled (targeted or referenced).
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

/// A SPARQL-based constraint component declared in the shapes graph.
struct ComponentDeclaration {
    iri: NamedNode,
    /// (parameter predicate, parameter name, optional)
    parameters: Vec<(NamedNode, String, bool)>,
    node_validator: Option<NamedOrBlankNode>,
    property_validator: Option<NamedOrBlankNode>,
    validator: Option<NamedOrBlankNode>,
    messages: Vec<Literal>,
}

struct Compiler<'g> {
    graph: &'g Graph,
    shapes: Vec<Shape>,
    ids: HashMap<Term, ShapeId>,
    queue: Vec<ShapeId>,
    constants: Vec<Term>,
    constant_ids: HashMap<Term, ConstId>,
    warnings: Vec<ShapeWarning>,
    components: Vec<ComponentDeclaration>,
    /// Predicates that are parameters of some declared component.
    component_parameters: HashSet<NamedNode>,
    reads_shapes_graph: bool,
}

/// The Core parameters: a shape with any of these is a shape, and
/// SPARQL-based components cannot redefine them.
#[rustfmt::skip]
const CORE_PARAMETERS: &[&str] = &[
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "flags", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone",
    "node", "property", "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint", "closed", "ignoredProperties", "hasValue", "in", "sparql",
];

fn as_subject(term: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        TermRef::Literal(_) => None,
    }
}

/// `true` only for the literal `true` (SHACL names no other form, so `"1"` leaves a switch off).
fn is_true(term: TermRef<'_>) -> bool {
    matches!(term, TermRef::Literal(l) if l.datatype().as_str() == vocab::XSD_BOOLEAN && l.value() == "true")
}

/// The local name of an IRI: its longest NCName suffix.
fn local_name(iri: &str) -> &str {
    let start = iri
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}'))
        .last()
        .map_or(iri.len(), |(i, _)| i);
    let mut name = &iri[start..];
    // An NCName starts with a letter or underscore.
    while let Some(c) = name.chars().next() {
        if c.is_alphabetic() || c == '_' {
            break;
        }
        name = &name[c.len_utf8()..];
    }
    name
}

impl<'g> Compiler<'g> {
    fn new(graph: &'g Graph) -> Self {
        Compiler {
            graph,
            shapes: Vec::new(),
            ids: HashMap::new(),
            queue: Vec::new(),
            constants: Vec::new(),
            constant_ids: HashMap::new(),
            warnings: Vec::new(),
            components: Vec::new(),
            component_parameters: HashSet::new(),
            reads_shapes_graph: false,
        }
    }

    fn warn(&mut self, node: Option<&Term>, message: impl Into<String>, ill_formed: bool) {
        self.warnings.push(ShapeWarning {
            node: node.cloned(),
            message: message.into(),
            ill_formed,
        });
    }

    fn objects(&self, node: &Term, local: &str) -> Vec<TermRef<'g>> {
        let predicate = sh(local);
        let Some(subject) = as_subject(node.as_ref()) else {
            return Vec::new();
        };
        self.graph
            .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(&predicate))
            .collect()
    }

    fn objects_iri(&self, node: &Term, predicate: &str) -> Vec<TermRef<'g>> {
        let Some(subject) = as_subject(node.as_ref()) else {
            return Vec::new();
        };
        self.graph
            .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(predicate))
            .collect()
    }

    fn subjects(&self, local: &str, object: TermRef<'_>) -> Vec<Term> {
        let predicate = sh(local);
        self.graph
            .subjects_for_predicate_object(NamedNodeRef::new_unchecked(&predicate), object)
            .map(|s| s.into_owned().into())
            .collect()
    }

    fn constant(&mut self, term: Term) -> ConstId {
        if let Some(id) = self.constant_ids.get(&term) {
            return *id;
        }
        let id = self.constants.len();
        self.constants.push(term.clone());
        self.constant_ids.insert(term, id);
        id
    }

    /// The id of the shape at `node`, queueing it for compilation when new.
    fn shape_id(&mut self, node: Term) -> ShapeId {
        if let Some(id) = self.ids.get(&node) {
            return *id;
        }
        let id = self.shapes.len();
        self.shapes.push(Shape {
            node: node.clone(),
            path: None,
            targets: Vec::new(),
            constraints: Vec::new(),
            severity: Severity::Violation,
            messages: Vec::new(),
            deactivated: false,
        });
        self.ids.insert(node, id);
        self.queue.push(id);
        id
    }

    /// The shape a parameter value names, or a warning when it is a literal.
    fn shape_ref(&mut self, from: &Term, parameter: &str, value: TermRef<'_>) -> Option<ShapeId> {
        if value.is_literal() {
            self.warn(
                Some(from),
                format!("the value of sh:{parameter} must be a shape, not the literal {value}"),
                true,
            );
            return None;
        }
        Some(self.shape_id(value.into_owned()))
    }

    fn shape_list(
        &mut self,
        from: &Term,
        parameter: &str,
        head: TermRef<'_>,
    ) -> Option<Vec<ShapeId>> {
        match read_list(self.graph, head) {
            Ok(members) => members
                .into_iter()
                .map(|m| self.shape_ref(from, parameter, m))
                .collect(),
            Err(e) => {
                self.warn(Some(from), format!("sh:{parameter} is skipped: {e}"), true);
                None
            }
        }
    }

    fn run(mut self) -> ShapeSet {
        self.report_unknown_terms();
        self.read_components();
        let rdf_type = NamedNodeRef::new_unchecked(vocab::RDF_TYPE);
        let mut roots: Vec<Term> = Vec::new();
        for local in [
            "targetClass",
            "targetNode",
            "targetSubjectsOf",
            "targetObjectsOf",
            "target",
        ] {
            let predicate = sh(local);
            for triple in self
                .graph
                .triples_for_predicate(NamedNodeRef::new_unchecked(&predicate))
            {
                roots.push(triple.subject.into_owned().into());
            }
        }
        for class in ["NodeShape", "PropertyShape"] {
            let class = sh(class);
            roots.extend(
                self.graph
                    .subjects_for_predicate_object(rdf_type, NamedNodeRef::new_unchecked(&class))
                    .map(|s| Term::from(s.into_owned())),
            );
        }
        let mut seen = HashSet::new();
        for root in roots {
            if seen.insert(root.clone()) {
                self.shape_id(root);
            }
        }
        while let Some(id) = self.queue.pop() {
            self.compile_shape(id);
        }
        let targeted = (0..self.shapes.len())
            .filter(|&id| !self.shapes[id].targets.is_empty() && !self.shapes[id].deactivated)
            .collect();
        let shapes_graph = self.reads_shapes_graph.then(|| self.graph.clone());
        // A shared node reached from several shapes would repeat its warning.
        let mut seen = HashSet::new();
        self.warnings.retain(|w| seen.insert(w.clone()));
        static NEXT_UID: AtomicU64 = AtomicU64::new(1);
        ShapeSet {
            uid: NEXT_UID.fetch_add(1, AtomicOrdering::Relaxed),
            shapes: self.shapes,
            targeted,
            constants: self.constants,
            warnings: self.warnings,
            shapes_graph,
        }
    }

    fn report_unknown_terms(&mut self) {
        let known: HashSet<&str> = vocab::KNOWN_SH_TERMS.iter().copied().collect();
        let mut unknown: HashMap<String, (usize, Term)> = HashMap::new();
        for triple in self.graph.iter() {
            let mut check = |iri: &str| {
                if let Some(local) = iri.strip_prefix(vocab::SH) {
                    if !known.contains(local) && !local.is_empty() {
                        let entry = unknown
                            .entry(local.to_owned())
                            .or_insert_with(|| (0, triple.subject.into_owned().into()));
                        entry.0 += 1;
                    }
                }
            };
            check(triple.predicate.as_str());
            if let TermRef::NamedNode(object) = triple.object {
                check(object.as_str());
            }
        }
        let mut unknown: Vec<_> = unknown.into_iter().collect();
        unknown.sort_by(|a, b| a.0.cmp(&b.0));
        for (local, (count, example)) in unknown {
            self.warn(
                Some(&example),
                format!("unknown SHACL term sh:{local} ({count} use(s)); it has no effect"),
                false,
            );
        }
    }

    /// Reads the SPARQL-based constraint components (nodes with `sh:parameter` and a validator).
    fn read_components(&mut self) {
        let parameter = sh("parameter");
        let mut declared: Vec<NamedOrBlankNode> = self
            .graph
            .triples_for_predicate(NamedNodeRef::new_unchecked(&parameter))
            .map(|t| t.subject.into_owned())
            .collect();
        declared.sort_by_key(|n| n.to_string());
        declared.dedup();
        for node in declared {
            let term: Term = node.clone().into();
            let validator = |compiler: &Self, local: &str| {
                compiler
                    .objects(&term, local)
                    .into_iter()
                    .find_map(|v| match v {
                        TermRef::NamedNode(n) => Some(NamedOrBlankNode::from(n.into_owned())),
                        TermRef::BlankNode(b) => Some(b.into_owned().into()),
                        TermRef::Literal(_) => None,
                    })
            };
            let (node_validator, property_validator, any_validator) = (
                validator(self, "nodeValidator"),
                validator(self, "propertyValidator"),
                validator(self, "validator"),
            );
            if node_validator.is_none() && property_validator.is_none() && any_validator.is_none() {
                continue; // e.g. a function's parameters, or a component for another language
            }
            let NamedOrBlankNode::NamedNode(iri) = node else {
                self.warn(Some(&term), "a constraint component must be an IRI", true);
                continue;
            };
            let mut parameters = Vec::new();
            let mut ok = true;
            for declaration in self.objects(&term, "parameter") {
                let declaration = declaration.into_owned();
                let paths = self.objects(&declaration, "path");
                let Some(TermRef::NamedNode(path)) = paths.first().copied() else {
                    self.warn(
                        Some(&term),
                        format!("the parameter {declaration} needs an IRI as sh:path"),
                        true,
                    );
                    ok = false;
                    continue;
                };
                let optional = self
                    .objects(&declaration, "optional")
                    .into_iter()
                    .any(is_true);
                let name = local_name(path.as_str()).to_owned();
                if CORE_PARAMETERS.contains(&name.as_str()) && path.as_str().starts_with(vocab::SH)
                {
                    // Core components are built in; a shapes graph restating them changes nothing.
                    ok = false;
                    break;
                }
                parameters.push((path.into_owned(), name, optional));
            }
            if !ok {
                continue;
            }
            let names: HashSet<&str> = parameters.iter().map(|(_, n, _)| n.as_str()).collect();
            if names.len() != parameters.len()
                || parameters.iter().all(|(_, _, optional)| *optional)
            {
                self.warn(
                    Some(&term),
                    "a constraint component needs distinct parameter names and at least one non-optional parameter",
                    true,
                );
                continue;
            }
            let messages = self.messages(&term);
            for (path, _, _) in &parameters {
                self.component_parameters.insert(path.clone());
            }
            self.components.push(ComponentDeclaration {
                iri,
                parameters,
                node_validator,
                property_validator,
                validator: any_validator,
                messages,
            });
        }
    }

    fn messages(&mut self, node: &Term) -> Vec<Literal> {
        let mut messages = Vec::new();
        for value in self.objects(node, "message") {
            match value {
                TermRef::Literal(l) => messages.push(l.into_owned()),
                other => self.warn(
                    Some(node),
                    format!("sh:message {other} is not a literal"),
                    true,
                ),
            }
        }
        messages
    }

    fn count(&mut self, node: &Term, local: &str) -> Vec<u64> {
        let mut counts = Vec::new();
        for value in self.objects(node, local) {
            match value {
                TermRef::Literal(l) if l.value().parse::<u64>().is_ok() => {
                    counts.extend(l.value().parse::<u64>().ok());
                }
                other => self.warn(
                    Some(node),
                    format!("sh:{local} {other} is skipped: it must be a non-negative integer"),
                    true,
                ),
            }
        }
        counts
    }

    fn iri_values(&mut self, node: &Term, local: &str) -> Vec<NamedNode> {
        let mut iris = Vec::new();
        for value in self.objects(node, local) {
            match value {
                TermRef::NamedNode(n) => iris.push(n.into_owned()),
                other => self.warn(
                    Some(node),
                    format!("sh:{local} {other} is skipped: it must be an IRI"),
                    true,
                ),
            }
        }
        iris
    }

    fn compile_shape(&mut self, id: ShapeId) {
        let node = self.shapes[id].node.clone();
        if node.is_literal() {
            self.warn(Some(&node), "a literal cannot be a shape", true);
            return;
        }
        let deactivated = self.objects(&node, "deactivated").into_iter().any(is_true);
        let severity = match self.objects(&node, "severity").first() {
            Some(TermRef::NamedNode(iri)) => Severity::from_iri(&iri.into_owned()),
            Some(other) => {
                let other = other.to_string();
                self.warn(
                    Some(&node),
                    format!("sh:severity {other} is not an IRI; using sh:Violation"),
                    true,
                );
                Severity::Violation
            }
            None => Severity::Violation,
        };
        let messages = self.messages(&node);
        let targets = self.targets(&node);
        let paths = self.objects(&node, "path");
        let path = match paths.as_slice() {
            [] => None,
            [path] => match PropertyPath::from_graph(self.graph, *path) {
                Ok(path) => {
                    let compiled = self.compile_path(&path);
                    Some((path, compiled))
                }
                Err(e) => {
                    self.warn(
                        Some(&node),
                        format!("the shape is skipped: its sh:path is ill-formed: {e}"),
                        true,
                    );
                    self.shapes[id].deactivated = true;
                    return;
                }
            },
            _ => {
                self.warn(
                    Some(&node),
                    "the shape is skipped: it has more than one sh:path",
                    true,
                );
                self.shapes[id].deactivated = true;
                return;
            }
        };
        let property_shape_class = sh("PropertyShape");
        let typed_property_shape = self
            .objects_iri(&node, vocab::RDF_TYPE)
            .iter()
            .any(|t| matches!(t, TermRef::NamedNode(n) if n.as_str() == property_shape_class));
        if path.is_none() && typed_property_shape {
            self.warn(
                Some(&node),
                "the property shape is skipped: it has no sh:path",
                true,
            );
            self.shapes[id].deactivated = true;
            return;
        }
        let is_property_shape = path.is_some();
        let constraints = self.constraints(&node, is_property_shape, path.as_ref().map(|(p, _)| p));
        let shape = &mut self.shapes[id];
        shape.path = path;
        shape.targets = targets;
        shape.constraints = constraints;
        shape.severity = severity;
        shape.messages = messages;
        shape.deactivated = deactivated;
    }

    fn compile_path(&mut self, path: &PropertyPath) -> Path {
        match path {
            PropertyPath::Predicate(p) => Path::Predicate(self.constant(p.clone().into())),
            PropertyPath::Inverse(inner) => Path::Inverse(Box::new(self.compile_path(inner))),
            PropertyPath::Sequence(members) => {
                Path::Sequence(members.iter().map(|m| self.compile_path(m)).collect())
            }
            PropertyPath::Alternative(members) => {
                Path::Alternative(members.iter().map(|m| self.compile_path(m)).collect())
            }
            PropertyPath::ZeroOrMore(inner) => Path::ZeroOrMore(Box::new(self.compile_path(inner))),
            PropertyPath::OneOrMore(inner) => Path::OneOrMore(Box::new(self.compile_path(inner))),
            PropertyPath::ZeroOrOne(inner) => Path::ZeroOrOne(Box::new(self.compile_path(inner))),
        }
    }

    fn targets(&mut self, node: &Term) -> Vec<Target> {
        let mut targets = Vec::new();
        for value in self.objects(node, "targetNode") {
            targets.push(Target::Node(value.into_owned()));
        }
        for class in self.objects(node, "targetClass") {
            match class {
                TermRef::Literal(_) => self.warn(
                    Some(node),
                    format!("sh:targetClass {class} is not a class"),
                    true,
                ),
                class => {
                    let id = self.constant(class.into_owned());
                    targets.push(Target::Class(id));
                }
            }
        }
        for iri in self.iri_values(node, "targetSubjectsOf") {
            let id = self.constant(iri.into());
            targets.push(Target::SubjectsOf(id));
        }
        for iri in self.iri_values(node, "targetObjectsOf") {
            let id = self.constant(iri.into());
            targets.push(Target::ObjectsOf(id));
        }
        if !self.objects(node, "target").is_empty() {
            self.warn(
                Some(node),
                "sh:target (SHACL-AF custom targets) is not supported and is ignored",
                false,
            );
        }
        // A shape that is also a class targets the class's instances.
        let types = self.objects_iri(node, vocab::RDF_TYPE);
        let is_class = types
            .iter()
            .any(|t| matches!(t, TermRef::NamedNode(n) if n.as_str() == vocab::RDFS_CLASS));
        let is_shape = types.iter().any(|t| {
            matches!(t, TermRef::NamedNode(n) if n.as_str() == sh("NodeShape") || n.as_str() == sh("PropertyShape"))
        });
        if is_class && is_shape {
            let id = self.constant(node.clone());
            targets.push(Target::Class(id));
        }
        targets
    }

    fn constraints(
        &mut self,
        node: &Term,
        property_shape: bool,
        path: Option<&PropertyPath>,
    ) -> Vec<Constraint> {
        let mut out = Vec::new();
        for class in self.objects(node, "class") {
            match class {
                TermRef::Literal(_) => {
                    self.warn(Some(node), format!("sh:class {class} is not a class"), true)
                }
                class => {
                    let id = self.constant(class.into_owned());
                    out.push(Constraint::Class(id));
                }
            }
        }
        for datatype in self.iri_values(node, "datatype") {
            let lexical = Lexical::for_datatype(datatype.as_str());
            out.push(Constraint::Datatype { datatype, lexical });
        }
        for kind in self.iri_values(node, "nodeKind") {
            match NodeKind::from_iri(kind.as_str()) {
                Some(kind) => out.push(Constraint::NodeKind(kind)),
                None => self.warn(
                    Some(node),
                    format!("sh:nodeKind {kind} is not a node kind"),
                    true,
                ),
            }
        }
        let property_only = |compiler: &mut Self, local: &str, present: bool| {
            if present && !property_shape {
                compiler.warn(
                    Some(node),
                    format!("sh:{local} only applies to property shapes and is ignored on this node shape"),
                    true,
                );
                false
            } else {
                present
            }
        };
        let min_counts = self.count(node, "minCount");
        if property_only(self, "minCount", !min_counts.is_empty()) {
            out.extend(min_counts.into_iter().map(Constraint::MinCount));
        }
        let max_counts = self.count(node, "maxCount");
        if property_only(self, "maxCount", !max_counts.is_empty()) {
            out.extend(max_counts.into_iter().map(Constraint::MaxCount));
        }
        for (local, kind) in [
            ("minExclusive", RangeKind::MinExclusive),
            ("minInclusive", RangeKind::MinInclusive),
            ("maxExclusive", RangeKind::MaxExclusive),
            ("maxInclusive", RangeKind::MaxInclusive),
        ] {
            for bound in self.objects(node, local) {
                if bound.is_literal() {
                    out.push(Constraint::Range {
                        kind,
                        bound: bound.into_owned(),
                    });
                } else {
                    self.warn(
                        Some(node),
                        format!("sh:{local} {bound} is not a literal"),
                        true,
                    );
                }
            }
        }
        for length in self.count(node, "minLength") {
            out.push(Constraint::MinLength(length));
        }
        for length in self.count(node, "maxLength") {
            out.push(Constraint::MaxLength(length));
        }
        self.patterns(node, &mut out);
        for list in self.objects(node, "languageIn") {
            match read_list(self.graph, list) {
                Ok(members) => {
                    let mut ranges = Vec::new();
                    for member in members {
                        match member {
                            TermRef::Literal(l) => ranges.push(l.value().to_ascii_lowercase()),
                            other => self.warn(
                                Some(node),
                                format!(
                                    "sh:languageIn member {other} is not a literal; it is skipped"
                                ),
                                true,
                            ),
                        }
                    }
                    out.push(Constraint::LanguageIn(ranges));
                }
                Err(e) => self.warn(Some(node), format!("sh:languageIn is skipped: {e}"), true),
            }
        }
        let unique_lang = self.objects(node, "uniqueLang").into_iter().any(is_true);
        if property_only(self, "uniqueLang", unique_lang) {
            out.push(Constraint::UniqueLang);
        }
        for (local, make) in [
            ("equals", Constraint::Equals as fn(ConstId) -> Constraint),
            ("disjoint", Constraint::Disjoint),
            ("lessThan", Constraint::LessThan),
            ("lessThanOrEquals", Constraint::LessThanOrEquals),
        ] {
            let iris = self.iri_values(node, local);
            if matches!(local, "lessThan" | "lessThanOrEquals")
                && !property_only(self, local, !iris.is_empty())
            {
                continue;
            }
            for iri in iris {
                let id = self.constant(iri.into());
                out.push(make(id));
            }
        }
        for value in self.objects(node, "not") {
            if let Some(shape) = self.shape_ref(node, "not", value) {
                out.push(Constraint::Not(shape));
            }
        }
        for (local, make) in [
            ("and", Constraint::And as fn(Vec<ShapeId>) -> Constraint),
            ("or", Constraint::Or),
            ("xone", Constraint::Xone),
        ] {
            for list in self.objects(node, local) {
                if let Some(shapes) = self.shape_list(node, local, list) {
                    out.push(make(shapes));
                }
            }
        }
        for value in self.objects(node, "node") {
            if let Some(shape) = self.shape_ref(node, "node", value) {
                out.push(Constraint::Node(shape));
            }
        }
        for value in self.objects(node, "property") {
            match value {
                TermRef::Literal(_) => self.warn(
                    Some(node),
                    format!("sh:property {value} is not a shape"),
                    true,
                ),
                value => {
                    if self.objects(&value.into_owned(), "path").is_empty() {
                        self.warn(
                            Some(&value.into_owned()),
                            "the property shape is skipped: it has no sh:path",
                            true,
                        );
                        continue;
                    }
                    let shape = self.shape_id(value.into_owned());
                    out.push(Constraint::Property(shape));
                }
            }
        }
        self.qualified(node, property_shape, &mut out);
        if self.objects(node, "closed").into_iter().any(is_true) {
            let mut allowed = Vec::new();
            for property in self.objects(node, "property") {
                for path in self.objects(&property.into_owned(), "path") {
                    if let TermRef::NamedNode(p) = path {
                        allowed.push(self.constant(p.into_owned().into()));
                    }
                }
            }
            for list in self.objects(node, "ignoredProperties") {
                match read_list(self.graph, list) {
                    Ok(members) => {
                        for member in members {
                            allowed.push(self.constant(member.into_owned()));
                        }
                    }
                    Err(e) => self.warn(
                        Some(node),
                        format!("sh:ignoredProperties is skipped: {e}"),
                        true,
                    ),
                }
            }
            out.push(Constraint::Closed { allowed });
        }
        for value in self.objects(node, "hasValue") {
            out.push(Constraint::HasValue(value.into_owned()));
        }
        for list in self.objects(node, "in") {
            match read_list(self.graph, list) {
                Ok(members) => {
                    let mut allowed = Interner::with_offset(0);
                    for member in members {
                        allowed.insert(member);
                    }
                    out.push(Constraint::In(allowed));
                }
                Err(e) => self.warn(Some(node), format!("sh:in is skipped: {e}"), true),
            }
        }
        for value in self.objects(node, "sparql") {
            match self.sparql_constraint(value, path) {
                Ok(Some(constraint)) => out.push(Constraint::Sparql(Box::new(constraint))),
                Ok(None) => {}
                Err(e) => self.warn(
                    Some(&value.into_owned()),
                    format!("the SPARQL constraint is skipped: {e}"),
                    true,
                ),
            }
        }
        self.component_constraints(node, property_shape, path, &mut out);
        out
    }

    fn patterns(&mut self, node: &Term, out: &mut Vec<Constraint>) {
        let flags = match self.objects(node, "flags").first() {
            Some(TermRef::Literal(l)) => l.value().to_owned(),
            Some(other) => {
                let other = other.to_string();
                self.warn(
                    Some(node),
                    format!("sh:flags {other} is not a literal; it is ignored"),
                    true,
                );
                String::new()
            }
            None => String::new(),
        };
        for pattern in self.objects(node, "pattern") {
            let TermRef::Literal(pattern) = pattern else {
                self.warn(
                    Some(node),
                    format!("sh:pattern {pattern} is not a literal; it is skipped"),
                    true,
                );
                continue;
            };
            match compile_regex(pattern.value(), &flags) {
                Ok(regex) => out.push(Constraint::Pattern {
                    regex,
                    pattern: pattern.value().to_owned(),
                }),
                Err(e) => self.warn(
                    Some(node),
                    format!("sh:pattern {pattern} is skipped: {e}"),
                    true,
                ),
            }
        }
    }

    fn qualified(&mut self, node: &Term, property_shape: bool, out: &mut Vec<Constraint>) {
        let value_shapes = self.objects(node, "qualifiedValueShape");
        let min = self.count(node, "qualifiedMinCount");
        let max = self.count(node, "qualifiedMaxCount");
        if value_shapes.is_empty() || (min.is_empty() && max.is_empty()) {
            if !value_shapes.is_empty() || !min.is_empty() || !max.is_empty() {
                self.warn(
                    Some(node),
                    "sh:qualifiedValueShape needs sh:qualifiedMinCount or sh:qualifiedMaxCount (and the reverse); ignored",
                    true,
                );
            }
            return;
        }
        if !property_shape {
            self.warn(
                Some(node),
                "qualified value shapes only apply to property shapes; ignored",
                true,
            );
            return;
        }
        let disjoint = self
            .objects(node, "qualifiedValueShapesDisjoint")
            .into_iter()
            .any(is_true);
        for value_shape in value_shapes {
            let Some(shape) = self.shape_ref(node, "qualifiedValueShape", value_shape) else {
                continue;
            };
            let mut siblings = Vec::new();
            if disjoint {
                for parent in self.subjects("property", node.as_ref()) {
                    for sibling in self.objects(&parent, "property") {
                        for other in self.objects(&sibling.into_owned(), "qualifiedValueShape") {
                            if other != value_shape && !other.is_literal() {
                                siblings.push(self.shape_id(other.into_owned()));
                            }
                        }
                    }
                }
                siblings.sort_unstable();
                siblings.dedup();
            }
            for &min in &min {
                out.push(Constraint::Qualified {
                    shape,
                    min: Some(min),
                    max: None,
                    siblings: siblings.clone(),
                });
            }
            for &max in &max {
                out.push(Constraint::Qualified {
                    shape,
                    min: None,
                    max: Some(max),
                    siblings: siblings.clone(),
                });
            }
        }
    }

    fn sparql_constraint(
        &mut self,
        node: TermRef<'_>,
        path: Option<&PropertyPath>,
    ) -> Result<Option<SparqlConstraint>, String> {
        let node = node.into_owned();
        let Some(subject) = as_subject(node.as_ref()) else {
            return Err("sh:sparql must be an IRI or a blank node".into());
        };
        if self.objects(&node, "deactivated").into_iter().any(is_true) {
            return Ok(None);
        }
        let select = self.objects(&node, "select");
        let [TermRef::Literal(text)] = select.as_slice() else {
            return Err("it needs exactly one literal sh:select".into());
        };
        let prefixes = sparql::collect_prefixes(self.graph, subject)?;
        let query = CompiledQuery::compile(text.value(), &prefixes, QueryForm::Select, &[], path)?;
        self.reads_shapes_graph |= query.reads_shapes_graph;
        let messages = self.messages(&node);
        Ok(Some(SparqlConstraint {
            node,
            query,
            messages,
        }))
    }

    fn component_constraints(
        &mut self,
        node: &Term,
        property_shape: bool,
        path: Option<&PropertyPath>,
        out: &mut Vec<Constraint>,
    ) {
        for index in 0..self.components.len() {
            let component = &self.components[index];
            // Values of each parameter on this shape; a missing mandatory one means the component is not used.
            let mut values: Vec<(String, Vec<Term>)> = Vec::new();
            let mut used = true;
            for (predicate, name, optional) in &component.parameters {
                let found: Vec<Term> = self
                    .objects_iri(node, predicate.as_str())
                    .into_iter()
                    .map(TermRef::into_owned)
                    .collect();
                if found.is_empty() && !optional {
                    used = false;
                    break;
                }
                values.push((name.clone(), found));
            }
            if !used {
                continue;
            }
            let validator = if property_shape {
                component
                    .property_validator
                    .clone()
                    .map(|v| (v, QueryForm::Select))
            } else {
                component
                    .node_validator
                    .clone()
                    .map(|v| (v, QueryForm::Select))
            }
            .or_else(|| component.validator.clone().map(|v| (v, QueryForm::Ask)));
            let Some((validator, form)) = validator else {
                continue; // no validator for this kind of shape: SHACL ignores the constraint
            };
            let iri = component.iri.clone();
            let component_messages = component.messages.clone();
            let validator_term: Term = validator.clone().into();
            let key = if form == QueryForm::Select {
                "select"
            } else {
                "ask"
            };
            let texts = self.objects(&validator_term, key);
            let [TermRef::Literal(text)] = texts.as_slice() else {
                self.warn(Some(&validator_term), format!("the validator needs exactly one literal sh:{key}; the component {iri} is skipped"), true);
                continue;
            };
            let text = text.value().to_owned();
            let prefixes = match sparql::collect_prefixes(self.graph, validator.as_ref()) {
                Ok(p) => p,
                Err(e) => {
                    self.warn(Some(&validator_term), e, true);
                    continue;
                }
            };
            // Optional parameters without a value stay unbound.
            let present: Vec<(String, Vec<Term>)> =
                values.into_iter().filter(|(_, v)| !v.is_empty()).collect();
            let names: Vec<String> = present.iter().map(|(n, _)| n.clone()).collect();
            let query = match CompiledQuery::compile(&text, &prefixes, form, &names, path) {
                Ok(q) => Arc::new(q),
                Err(e) => {
                    self.warn(
                        Some(&validator_term),
                        format!("the validator of {iri} is skipped: {e}"),
                        true,
                    );
                    continue;
                }
            };
            self.reads_shapes_graph |= query.reads_shapes_graph;
            let mut messages = self.messages(&validator_term);
            if messages.is_empty() {
                messages = component_messages;
            }
            // One constraint per combination of parameter values.
            let mut combinations: Vec<Vec<(String, Term)>> = vec![Vec::new()];
            for (name, terms) in &present {
                combinations = combinations
                    .into_iter()
                    .flat_map(|prefix| {
                        terms.iter().map(move |t| {
                            let mut next = prefix.clone();
                            next.push((name.clone(), t.clone()));
                            next
                        })
                    })
                    .collect();
            }
            for parameters in combinations {
                out.push(Constraint::Component(Box::new(ComponentConstraint {
                    component: iri.clone(),
                    query: Arc::clone(&query),
                    parameters,
                    messages: messages.clone(),
                })));
            }
        }
    }
}

/// A Rust regex for an XPath pattern with SHACL/XPath flags (`s`, `m`, `i`, `x`, `q`).
pub(crate) fn compile_regex(pattern: &str, flags: &str) -> Result<Regex, String> {
    let mut inline = String::new();
    let mut quote = false;
    for flag in flags.chars() {
        match flag {
            's' | 'm' | 'i' | 'x' => inline.push(flag),
            'q' => quote = true,
            other => return Err(format!("unknown regex flag {other:?}")),
        }
    }
    let body = if quote {
        regex::escape(pattern)
    } else {
        pattern.to_owned()
    };
    let full = if inline.is_empty() {
        body
    } else {
        format!("(?{inline}){body}")
    };
    Regex::new(&full).map_err(|e| format!("invalid regular expression: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_are_ncname_suffixes() {
        assert_eq!(local_name("http://example.org/ns#lang"), "lang");
        assert_eq!(local_name("http://example.org/ns/max-Length"), "max-Length");
        assert_eq!(local_name("urn:x:1abc"), "abc");
    }

    #[test]
    fn regex_flags_map_to_inline_flags() {
        assert!(compile_regex("^abc$", "i").expect("valid").is_match("ABC"));
        assert!(compile_regex("a.c", "q").expect("valid").is_match("xa.cx"));
        assert!(!compile_regex("a.c", "q").expect("valid").is_match("abc"));
        assert!(compile_regex("(", "").is_err());
        assert!(compile_regex("a", "z").is_err());
    }
}

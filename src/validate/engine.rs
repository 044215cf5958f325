//! Running a [`ShapeSet`] over a [`DataGraph`]: targets, value nodes, the
//! Core constraint components and the SPARQL-based ones.

use super::data::{DataGraph, FastHash, Interner, TermId, UNRESOLVED};
use super::path::PropertyPath;
use super::report::{ValidationReport, ValidationResult};
use super::shapes::{
    ComponentConstraint, ConstId, Constraint, Path, RangeKind, Shape, ShapeId, ShapeSet,
    SparqlConstraint, Target,
};
use super::sparql::{self, CompiledQuery, Outcome, Solution, SparqlView};
use super::vocab::sh;
use super::xsd;
use oxrdf::{BlankNode, Literal, NamedNode, NamedNodeRef, Term, TermRef};
use spareval::QueryEvaluator;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Constant-cache mark for a constant the data graph does not contain
/// (`UNRESOLVED` marks one not looked up yet).
const ABSENT: u32 = u32::MAX - 1;

/// Stands in for a term id that has no term, which the engine never
/// creates; it keeps term lookups total without panicking.
static MISSING: LazyLock<Term> =
    LazyLock::new(|| BlankNode::new_unchecked("katalog-missing-term").into());

/// Shape checks nest at most this deep (`sh:node`, `sh:not`, `sh:and`, ...
/// through linked nodes): deeper chains would overflow a worker thread's stack.
const MAX_NESTING: usize = 64;

/// Nodes in the order found, with a membership test that stays cheap in
/// large class hierarchies (a set is only built once the list grows).
struct Visited {
    order: Vec<TermId>,
    seen: Option<HashSet<TermId, FastHash>>,
}

/// Below this many nodes a linear scan beats hashing.
const VISITED_SCAN_LIMIT: usize = 32;

impl Visited {
    fn new(first: TermId) -> Self {
        Visited {
            order: vec![first],
            seen: None,
        }
    }

    fn insert(&mut self, node: TermId) {
        let new = match &mut self.seen {
            Some(seen) => seen.insert(node),
            None => !self.order.contains(&node),
        };
        if !new {
            return;
        }
        self.order.push(node);
        if self.seen.is_none() && self.order.len() > VISITED_SCAN_LIMIT {
            self.seen = Some(self.order.iter().copied().collect());
        }
    }
}

/// Where results go: collected for the report, or (when checking whether a
/// node conforms to a shape) only noted, stopping at the first one.
struct Sink {
    collect: bool,
    results: Vec<ValidationResult>,
    violated: bool,
}

impl Sink {
    fn report() -> Self {
        Sink {
            collect: true,
            results: Vec::new(),
            violated: false,
        }
    }

    fn check() -> Self {
        Sink {
            collect: false,
            results: Vec::new(),
            violated: false,
        }
    }

    fn done(&self) -> bool {
        !self.collect && self.violated
    }
}

/// The state of one validation run.
pub(crate) struct Run<'a> {
    shapes: &'a ShapeSet,
    data: &'a DataGraph<'a>,
    /// Terms the run needs ids for that the data graph lacks (target nodes, parameters).
    extra: Interner<Vec<Term>>,
    constants: Vec<TermId>,
    /// (shape, node) pairs being validated, to cut recursion.
    stack: Vec<(ShapeId, TermId)>,
    recursion_cuts: usize,
    // Keyed by the run's own ids, which the data cannot choose: a fast hash is safe.
    conforms_memo: HashMap<(ShapeId, TermId), bool, FastHash>,
    subclass_memo: HashMap<(TermId, TermId), bool, FastHash>,
    failures: Vec<String>,
    evaluator: QueryEvaluator,
}

impl<'a> Run<'a> {
    pub(crate) fn new(shapes: &'a ShapeSet, data: &'a DataGraph<'a>) -> Self {
        Run {
            shapes,
            data,
            extra: Interner::with_offset(data.end()),
            // A background prepared for this shape set already knows most constants.
            constants: data
                .background()
                .and_then(|bg| bg.prepared_for(shapes))
                .map_or_else(
                    || vec![UNRESOLVED; shapes.constants.len()],
                    <[TermId]>::to_vec,
                ),
            stack: Vec::new(),
            recursion_cuts: 0,
            conforms_memo: HashMap::default(),
            subclass_memo: HashMap::default(),
            failures: Vec::new(),
            evaluator: QueryEvaluator::new(),
        }
    }

    pub(crate) fn validate(mut self) -> ValidationReport {
        let shapes = self.shapes;
        let mut sink = Sink::report();
        for &id in &shapes.targeted {
            let shape = &shapes.shapes[id];
            for focus in self.focus_nodes(shape) {
                self.stack.push((id, focus));
                self.validate_shape(id, focus, &mut sink);
                self.stack.pop();
            }
        }
        ValidationReport {
            conforms: sink.results.is_empty() && self.failures.is_empty(),
            results: sink.results,
            failures: self.failures,
        }
    }

    /// The (shape, focus node) pairs [`Run::validate`] visits, in its
    /// order, and the focus nodes the data graph lacks: a pair's id from
    /// `data.end()` on names `extras[id - data.end()]`.
    pub(crate) fn targets(mut self) -> (Vec<(ShapeId, TermId)>, Vec<Term>) {
        let shapes = self.shapes;
        let mut pairs = Vec::new();
        for &id in &shapes.targeted {
            for focus in self.focus_nodes(&shapes.shapes[id]) {
                pairs.push((id, focus));
            }
        }
        let extras = (self.data.end()..self.extra.end())
            .map(|id| self.term(id).into_owned())
            .collect();
        (pairs, extras)
    }

    /// Validates some of the pairs [`Run::targets`] gave, as
    /// [`Run::validate`] would: a run over consecutive slices of the pairs
    /// reports, slice after slice, what one run over all of them reports
    /// (memoised answers never depend on what was validated before).
    pub(crate) fn validate_targets(
        mut self,
        pairs: &[(ShapeId, TermId)],
        extras: &[Term],
    ) -> ValidationReport {
        let end = self.data.end();
        let mut sink = Sink::report();
        for &(id, focus) in pairs {
            let focus = if focus < end {
                focus
            } else {
                match extras.get((focus - end) as usize) {
                    Some(term) => self.intern(term.as_ref()),
                    None => continue,
                }
            };
            self.stack.push((id, focus));
            self.validate_shape(id, focus, &mut sink);
            self.stack.pop();
        }
        ValidationReport {
            conforms: sink.results.is_empty() && self.failures.is_empty(),
            results: sink.results,
            failures: self.failures,
        }
    }

    fn term(&self, id: TermId) -> TermRef<'_> {
        self.data
            .term(id)
            .or_else(|| self.extra.term(id))
            .unwrap_or_else(|| MISSING.as_ref())
    }

    fn intern(&mut self, term: TermRef<'_>) -> TermId {
        match self.data.id(term) {
            Some(id) => id,
            None => self.extra.insert(term),
        }
    }

    /// The data graph's id for a constant of the shapes graph.
    fn resolve(&mut self, constant: ConstId) -> Option<TermId> {
        let cached = self.constants.get(constant).copied().unwrap_or(ABSENT);
        let id = if cached == UNRESOLVED {
            let id = self
                .shapes
                .constants
                .get(constant)
                .and_then(|term| self.data.id(term.as_ref()))
                .unwrap_or(ABSENT);
            if let Some(slot) = self.constants.get_mut(constant) {
                *slot = id;
            }
            id
        } else {
            cached
        };
        (id != ABSENT).then_some(id)
    }

    fn focus_nodes(&mut self, shape: &Shape) -> Vec<TermId> {
        let mut nodes = Vec::new();
        for target in &shape.targets {
            match target {
                Target::Node(term) => {
                    let id = self.intern(term.as_ref());
                    nodes.push(id);
                }
                Target::Class(class) => {
                    if let Some(class) = self.resolve(*class) {
                        for class in self.subclasses_of(class) {
                            self.data.push_target_instances(class, &mut nodes);
                        }
                    }
                }
                Target::SubjectsOf(p) | Target::ObjectsOf(p) => {
                    if let Some(p) = self.resolve(*p) {
                        self.data.push_target_nodes(
                            p,
                            matches!(target, Target::ObjectsOf(_)),
                            &mut nodes,
                        );
                    }
                }
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// `class` and all its subclasses (`rdfs:subClassOf*` inverse).
    fn subclasses_of(&self, class: TermId) -> Vec<TermId> {
        let mut found = Visited::new(class);
        let Some(sub_class_of) = self.data.sub_class_of else {
            return found.order;
        };
        let mut next = 0;
        let mut subs = Vec::new();
        while let Some(&class) = found.order.get(next) {
            subs.clear();
            self.data.push_subjects(sub_class_of, class, &mut subs);
            for &sub in &subs {
                found.insert(sub);
            }
            next += 1;
        }
        found.order
    }

    fn is_subclass(&mut self, sub: TermId, class: TermId) -> bool {
        if sub == class {
            return true;
        }
        let Some(sub_class_of) = self.data.sub_class_of else {
            return false;
        };
        if let Some(known) = self.subclass_memo.get(&(sub, class)) {
            return *known;
        }
        let mut seen = Visited::new(sub);
        let mut next = 0;
        let mut found = false;
        let mut supers = Vec::new();
        while let (Some(&node), false) = (seen.order.get(next), found) {
            supers.clear();
            self.data.push_objects(node, sub_class_of, &mut supers);
            for &sup in &supers {
                found |= sup == class;
                seen.insert(sup);
            }
            next += 1;
        }
        self.subclass_memo.insert((sub, class), found);
        found
    }

    fn is_instance(&mut self, node: TermId, class: TermId) -> bool {
        let Some(rdf_type) = self.data.rdf_type else {
            return false;
        };
        let mut types = Vec::new();
        self.data.push_objects(node, rdf_type, &mut types);
        types.into_iter().any(|t| self.is_subclass(t, class))
    }

    /// The value nodes of `path` from `focus`, as a set.
    fn values(&mut self, path: &Path, focus: TermId) -> Vec<TermId> {
        let mut out = Vec::new();
        self.walk(path, focus, true, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn walk(&mut self, path: &Path, from: TermId, forward: bool, out: &mut Vec<TermId>) {
        match path {
            Path::Predicate(p) => {
                if let Some(p) = self.resolve(*p) {
                    if forward {
                        self.data.push_objects(from, p, out);
                    } else {
                        self.data.push_subjects(p, from, out);
                    }
                }
            }
            Path::Inverse(inner) => self.walk(inner, from, !forward, out),
            Path::Sequence(members) => {
                let mut frontier = vec![from];
                let steps: Box<dyn Iterator<Item = &Path>> = if forward {
                    Box::new(members.iter())
                } else {
                    Box::new(members.iter().rev())
                };
                for step in steps {
                    let mut next = Vec::new();
                    for node in frontier {
                        self.walk(step, node, forward, &mut next);
                    }
                    next.sort_unstable();
                    next.dedup();
                    frontier = next;
                }
                out.extend(frontier);
            }
            Path::Alternative(members) => {
                for member in members {
                    self.walk(member, from, forward, out);
                }
            }
            Path::ZeroOrMore(inner) => {
                out.push(from);
                self.closure(inner, from, forward, out);
            }
            Path::OneOrMore(inner) => self.closure(inner, from, forward, out),
            Path::ZeroOrOne(inner) => {
                out.push(from);
                self.walk(inner, from, forward, out);
            }
        }
    }

    /// Nodes reachable from `from` in one or more steps of `inner`.
    fn closure(&mut self, inner: &Path, from: TermId, forward: bool, out: &mut Vec<TermId>) {
        let mut reached: HashSet<TermId, FastHash> = HashSet::default();
        let mut frontier = vec![from];
        let mut next = Vec::new();
        while let Some(node) = frontier.pop() {
            next.clear();
            self.walk(inner, node, forward, &mut next);
            for &n in &next {
                if reached.insert(n) {
                    out.push(n);
                    frontier.push(n);
                }
            }
        }
    }

    fn validate_shape(&mut self, id: ShapeId, focus: TermId, sink: &mut Sink) {
        let shapes = self.shapes;
        let shape = &shapes.shapes[id];
        if shape.deactivated {
            return;
        }
        let values = match &shape.path {
            Some((_, path)) => self.values(path, focus),
            None => vec![focus],
        };
        for constraint in &shape.constraints {
            self.check(shape, constraint, focus, &values, sink);
            if sink.done() {
                return;
            }
        }
    }

    /// Whether `node` conforms to shape `id` (produces no result of any severity).
    fn conforms(&mut self, id: ShapeId, node: TermId) -> bool {
        if let Some(known) = self.conforms_memo.get(&(id, node)) {
            return *known;
        }
        if self.stack.contains(&(id, node)) {
            // Recursion: SHACL leaves it undefined; assume conformance so it terminates.
            self.recursion_cuts += 1;
            return true;
        }
        if self.stack.len() >= MAX_NESTING {
            // A long chain of linked nodes: stop before the thread's stack
            // runs out, say so, and do not reuse answers built on this cut.
            self.recursion_cuts += 1;
            let message = format!(
                "checks of {} nest deeper than {MAX_NESTING} levels (a long chain of linked nodes); the deeper ones were skipped",
                self.shapes.shapes[id].node
            );
            if !self.failures.contains(&message) {
                self.failures.push(message);
            }
            return true;
        }
        let cuts = self.recursion_cuts;
        self.stack.push((id, node));
        let mut sink = Sink::check();
        self.validate_shape(id, node, &mut sink);
        self.stack.pop();
        let conforms = !sink.violated;
        // An answer that leaned on a recursion cut may differ elsewhere; do not reuse it.
        if self.recursion_cuts == cuts {
            self.conforms_memo.insert((id, node), conforms);
        }
        conforms
    }

    #[expect(clippy::too_many_arguments)]
    fn push(
        &self,
        sink: &mut Sink,
        shape: &Shape,
        focus: Term,
        path: Option<PropertyPath>,
        value: Option<Term>,
        component: NamedNode,
        source_constraint: Option<Term>,
        messages: Vec<Literal>,
    ) {
        sink.violated = true;
        if !sink.collect {
            return;
        }
        sink.results.push(ValidationResult {
            focus_node: focus,
            path,
            value,
            source_shape: shape.node.clone(),
            source_constraint_component: component,
            source_constraint,
            severity: shape.severity.clone(),
            messages: if shape.messages.is_empty() {
                messages
            } else {
                shape.messages.clone()
            },
        });
    }

    /// A result of a Core component; the message is only built when reported.
    fn emit(
        &self,
        sink: &mut Sink,
        shape: &Shape,
        focus: TermId,
        value: Option<TermId>,
        component: &str,
        message: impl FnOnce() -> String,
    ) {
        sink.violated = true;
        if !sink.collect {
            return;
        }
        let messages = if shape.messages.is_empty() {
            vec![Literal::new_simple_literal(message())]
        } else {
            Vec::new()
        };
        self.push(
            sink,
            shape,
            self.term(focus).into_owned(),
            shape.path.as_ref().map(|(p, _)| p.clone()),
            value.map(|v| self.term(v).into_owned()),
            NamedNode::new_unchecked(sh(component)),
            None,
            messages,
        );
    }

    fn text(&self, id: TermId) -> Option<&str> {
        match self.term(id) {
            TermRef::NamedNode(n) => Some(n.as_str()),
            TermRef::Literal(l) => Some(l.value()),
            TermRef::BlankNode(_) => None,
        }
    }

    fn constant_term(&self, constant: ConstId) -> &Term {
        self.shapes.constants.get(constant).unwrap_or(&MISSING)
    }

    fn shape_label(&self, id: ShapeId) -> String {
        self.shapes
            .shapes
            .get(id)
            .map_or_else(String::new, |s| s.node.to_string())
    }

    fn objects_of(&mut self, focus: TermId, predicate: ConstId) -> Vec<TermId> {
        let mut out = Vec::new();
        if let Some(p) = self.resolve(predicate) {
            self.data.push_objects(focus, p, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn check(
        &mut self,
        shape: &Shape,
        constraint: &Constraint,
        focus: TermId,
        values: &[TermId],
        sink: &mut Sink,
    ) {
        match constraint {
            Constraint::Class(class) => {
                let class_id = self.resolve(*class);
                for &v in values {
                    if !class_id.is_some_and(|c| self.is_instance(v, c)) {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "ClassConstraintComponent",
                            || {
                                format!(
                                    "Value is not an instance of {}",
                                    self.constant_term(*class)
                                )
                            },
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::Datatype { datatype, lexical } => {
                for &v in values {
                    let ok = match self.term(v) {
                        TermRef::Literal(l) => {
                            l.datatype() == datatype.as_ref()
                                && lexical.is_none_or(|check| check.accepts(l))
                        }
                        _ => false,
                    };
                    if !ok {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "DatatypeConstraintComponent",
                            || format!("Value is not a valid literal of datatype {datatype}"),
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::NodeKind(kind) => {
                for &v in values {
                    if !kind.accepts(self.term(v)) {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "NodeKindConstraintComponent",
                            || format!("Value is not {}", kind.label()),
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::MinCount(min) => {
                if (values.len() as u64) < *min {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "MinCountConstraintComponent",
                        || format!("Fewer than {min} values (found {})", values.len()),
                    );
                }
            }
            Constraint::MaxCount(max) => {
                if values.len() as u64 > *max {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "MaxCountConstraintComponent",
                        || format!("More than {max} values (found {})", values.len()),
                    );
                }
            }
            Constraint::Range { kind, bound } => {
                let (component, operator, accept): (&str, &str, fn(Ordering) -> bool) = match kind {
                    RangeKind::MinExclusive => ("MinExclusiveConstraintComponent", ">", |o| {
                        o == Ordering::Greater
                    }),
                    RangeKind::MinInclusive => ("MinInclusiveConstraintComponent", ">=", |o| {
                        o != Ordering::Less
                    }),
                    RangeKind::MaxExclusive => ("MaxExclusiveConstraintComponent", "<", |o| {
                        o == Ordering::Less
                    }),
                    RangeKind::MaxInclusive => ("MaxInclusiveConstraintComponent", "<=", |o| {
                        o != Ordering::Greater
                    }),
                };
                for &v in values {
                    if !xsd::compare(self.term(v), bound.as_ref()).is_some_and(accept) {
                        self.emit(sink, shape, focus, Some(v), component, || {
                            format!("Value is not {operator} {bound}")
                        });
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::MinLength(min) | Constraint::MaxLength(min) => {
                let is_min = matches!(constraint, Constraint::MinLength(_));
                for &v in values {
                    let ok = self.text(v).is_some_and(|text| {
                        let length = text.chars().count() as u64;
                        if is_min {
                            length >= *min
                        } else {
                            length <= *min
                        }
                    });
                    if !ok {
                        let (component, word) = if is_min {
                            ("MinLengthConstraintComponent", "fewer")
                        } else {
                            ("MaxLengthConstraintComponent", "more")
                        };
                        self.emit(sink, shape, focus, Some(v), component, || {
                            format!("Value has {word} than {min} characters")
                        });
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::Pattern { regex, pattern } => {
                for &v in values {
                    if !self.text(v).is_some_and(|text| regex.is_match(text)) {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "PatternConstraintComponent",
                            || format!("Value does not match the pattern \"{pattern}\""),
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::LanguageIn(ranges) => {
                for &v in values {
                    let ok = match self.term(v) {
                        TermRef::Literal(l) => l.language().is_some_and(|tag| {
                            ranges.iter().any(|range| language_matches(tag, range))
                        }),
                        _ => false,
                    };
                    if !ok {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "LanguageInConstraintComponent",
                            || format!("Language tag is not one of {}", ranges.join(", ")),
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::UniqueLang => {
                let mut tags: Vec<String> = values
                    .iter()
                    .filter_map(|&v| match self.term(v) {
                        TermRef::Literal(l) => l.language().map(str::to_ascii_lowercase),
                        _ => None,
                    })
                    .collect();
                tags.sort_unstable();
                let mut duplicated: Vec<&String> = tags
                    .windows(2)
                    .filter(|w| w[0] == w[1])
                    .map(|w| &w[0])
                    .collect();
                duplicated.dedup();
                for tag in duplicated {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "UniqueLangConstraintComponent",
                        || format!("More than one value has the language tag \"{tag}\""),
                    );
                    if sink.done() {
                        return;
                    }
                }
            }
            Constraint::Equals(p) => {
                let others = self.objects_of(focus, *p);
                let label = self.constant_term(*p).to_string();
                for &v in values.iter().filter(|v| others.binary_search(v).is_err()) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        Some(v),
                        "EqualsConstraintComponent",
                        || format!("Value is not a value of {label}"),
                    );
                    if sink.done() {
                        return;
                    }
                }
                for &o in others.iter().filter(|o| values.binary_search(o).is_err()) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        Some(o),
                        "EqualsConstraintComponent",
                        || format!("The value of {label} is missing here"),
                    );
                    if sink.done() {
                        return;
                    }
                }
            }
            Constraint::Disjoint(p) => {
                let others = self.objects_of(focus, *p);
                for &v in values.iter().filter(|v| others.binary_search(v).is_ok()) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        Some(v),
                        "DisjointConstraintComponent",
                        || format!("Value is also a value of {}", self.constant_term(*p)),
                    );
                    if sink.done() {
                        return;
                    }
                }
            }
            Constraint::LessThan(p) | Constraint::LessThanOrEquals(p) => {
                let or_equal = matches!(constraint, Constraint::LessThanOrEquals(_));
                let others = self.objects_of(focus, *p);
                for &v in values {
                    for &o in &others {
                        let ok = match xsd::compare(self.term(v), self.term(o)) {
                            Some(Ordering::Less) => true,
                            Some(Ordering::Equal) => or_equal,
                            _ => false,
                        };
                        if !ok {
                            let (component, operator) = if or_equal {
                                ("LessThanOrEqualsConstraintComponent", "<=")
                            } else {
                                ("LessThanConstraintComponent", "<")
                            };
                            self.emit(sink, shape, focus, Some(v), component, || {
                                format!(
                                    "Value is not {operator} {} (a value of {})",
                                    self.term(o),
                                    self.constant_term(*p)
                                )
                            });
                            if sink.done() {
                                return;
                            }
                        }
                    }
                }
            }
            Constraint::Not(inner) => {
                for &v in values {
                    if self.conforms(*inner, v) {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "NotConstraintComponent",
                            || format!("Value conforms to shape {}", self.shape_label(*inner)),
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::And(members) | Constraint::Or(members) | Constraint::Xone(members) => {
                for &v in values {
                    let (ok, component, message) = match constraint {
                        Constraint::And(_) => (
                            members.iter().all(|&m| self.conforms(m, v)),
                            "AndConstraintComponent",
                            "Value does not conform to every shape of sh:and",
                        ),
                        Constraint::Or(_) => (
                            members.iter().any(|&m| self.conforms(m, v)),
                            "OrConstraintComponent",
                            "Value conforms to none of the shapes of sh:or",
                        ),
                        _ => (
                            members.iter().filter(|&&m| self.conforms(m, v)).count() == 1,
                            "XoneConstraintComponent",
                            "Value does not conform to exactly one shape of sh:xone",
                        ),
                    };
                    if !ok {
                        self.emit(sink, shape, focus, Some(v), component, || {
                            message.to_owned()
                        });
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::Node(inner) => {
                for &v in values {
                    if !self.conforms(*inner, v) {
                        self.emit(
                            sink,
                            shape,
                            focus,
                            Some(v),
                            "NodeConstraintComponent",
                            || {
                                format!(
                                    "Value does not conform to shape {}",
                                    self.shape_label(*inner)
                                )
                            },
                        );
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::Property(child) => {
                for &v in values {
                    if self.stack.contains(&(*child, v)) {
                        continue;
                    }
                    self.stack.push((*child, v));
                    self.validate_shape(*child, v, sink);
                    self.stack.pop();
                    if sink.done() {
                        return;
                    }
                }
            }
            Constraint::Qualified {
                shape: inner,
                min,
                max,
                siblings,
            } => {
                let mut count = 0u64;
                for &v in values {
                    if self.conforms(*inner, v) && !siblings.iter().any(|&s| self.conforms(s, v)) {
                        count += 1;
                    }
                }
                if let Some(min) = min.filter(|min| count < *min) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "QualifiedMinCountConstraintComponent",
                        || {
                            format!(
                                "Fewer than {min} values conform to shape {}",
                                self.shape_label(*inner)
                            )
                        },
                    );
                }
                if let Some(max) = max.filter(|max| count > *max) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "QualifiedMaxCountConstraintComponent",
                        || {
                            format!(
                                "More than {max} values conform to shape {}",
                                self.shape_label(*inner)
                            )
                        },
                    );
                }
            }
            Constraint::Closed { allowed } => {
                let allowed: Vec<TermId> =
                    allowed.iter().filter_map(|&c| self.resolve(c)).collect();
                for &v in values {
                    let mut extra = Vec::new();
                    self.data.for_each_with_subject(v, |p, o| {
                        if !allowed.contains(&p) {
                            extra.push((p, o));
                        }
                    });
                    for (p, o) in extra {
                        sink.violated = true;
                        if !sink.collect {
                            return;
                        }
                        let TermRef::NamedNode(predicate) = self.term(p) else {
                            continue;
                        };
                        let predicate = predicate.into_owned();
                        let message =
                            format!("Predicate {predicate} is not allowed (closed shape)");
                        self.push(
                            sink,
                            shape,
                            self.term(focus).into_owned(),
                            Some(PropertyPath::Predicate(predicate)),
                            Some(self.term(o).into_owned()),
                            NamedNode::new_unchecked(sh("ClosedConstraintComponent")),
                            None,
                            vec![Literal::new_simple_literal(message)],
                        );
                    }
                }
            }
            Constraint::HasValue(required) => {
                if !values.iter().any(|&v| self.term(v) == required.as_ref()) {
                    self.emit(
                        sink,
                        shape,
                        focus,
                        None,
                        "HasValueConstraintComponent",
                        || format!("Missing the required value {required}"),
                    );
                }
            }
            Constraint::In(allowed) => {
                for &v in values {
                    if allowed.get(self.term(v)).is_none() {
                        self.emit(sink, shape, focus, Some(v), "InConstraintComponent", || {
                            "Value is not one of the allowed values (sh:in)".to_owned()
                        });
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            Constraint::Sparql(constraint) => {
                self.sparql_constraint(shape, constraint, focus, sink)
            }
            Constraint::Component(constraint) => {
                self.component_constraint(shape, constraint, focus, values, sink)
            }
        }
    }

    /// Values for the pre-bound variables `this`, `currentShape`, `shapesGraph`.
    fn prebound(&mut self, shape: &Shape, focus: TermId) -> Vec<TermId> {
        let current_shape = self.intern(shape.node.as_ref());
        let shapes_graph =
            self.intern(NamedNodeRef::new_unchecked(sparql::SHAPES_GRAPH_IRI).into());
        vec![focus, current_shape, shapes_graph]
    }

    fn query(&mut self, query: &CompiledQuery, values: &[TermId]) -> Result<Outcome, String> {
        let shapes_graph = if query.reads_shapes_graph {
            let id = self.intern(NamedNodeRef::new_unchecked(sparql::SHAPES_GRAPH_IRI).into());
            self.shapes.shapes_graph.as_ref().map(|graph| (id, graph))
        } else {
            None
        };
        let view = SparqlView {
            data: self.data,
            extra: &self.extra,
            produced: RefCell::new(Interner::with_offset(self.extra.end())),
            placeholders: sparql::placeholders(query, values),
            shapes_graph,
        };
        sparql::execute(&self.evaluator, query, &view)
    }

    fn sparql_constraint(
        &mut self,
        shape: &Shape,
        constraint: &SparqlConstraint,
        focus: TermId,
        sink: &mut Sink,
    ) {
        let values = self.prebound(shape, focus);
        match self.query(&constraint.query, &values) {
            Ok(Outcome::Solutions(solutions)) => self.solutions_to_results(
                sink,
                shape,
                focus,
                solutions,
                NamedNode::new_unchecked(sh("SPARQLConstraintComponent")),
                Some(&constraint.node),
                &constraint.messages,
                &[],
            ),
            Ok(Outcome::Boolean(_)) => {}
            Err(e) => self.fail(sink, format!("{}: {e}", constraint.node)),
        }
    }

    fn fail(&mut self, sink: &mut Sink, message: String) {
        sink.violated = true;
        if !self.failures.contains(&message) {
            self.failures.push(message);
        }
    }

    #[expect(clippy::too_many_arguments)]
    fn solutions_to_results(
        &mut self,
        sink: &mut Sink,
        shape: &Shape,
        focus: TermId,
        solutions: Vec<Solution>,
        component: NamedNode,
        source_constraint: Option<&Term>,
        messages: &[Literal],
        parameters: &[(String, Term)],
    ) {
        for solution in solutions {
            let get = |name: &str| solution.iter().find(|(n, _)| n == name).map(|(_, t)| t);
            if let Some(Term::Literal(failure)) = get("failure") {
                if failure.value() == "true"
                    && failure.datatype().as_str() == super::vocab::XSD_BOOLEAN
                {
                    self.fail(
                        sink,
                        format!("{} reported a failure for {}", shape.node, self.term(focus)),
                    );
                    continue;
                }
            }
            sink.violated = true;
            if !sink.collect {
                return;
            }
            let focus_term = get(sparql::THIS)
                .cloned()
                .unwrap_or_else(|| self.term(focus).into_owned());
            let path = match get("path") {
                Some(Term::NamedNode(p)) => Some(PropertyPath::Predicate(p.clone())),
                _ => shape.path.as_ref().map(|(p, _)| p.clone()),
            };
            let value = get(sparql::VALUE)
                .cloned()
                .or_else(|| shape.path.is_none().then(|| focus_term.clone()));
            let lookup = |name: &str| {
                get(name).cloned().or_else(|| {
                    parameters
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, t)| t.clone())
                })
            };
            let texts: Vec<Literal> = match get("message") {
                Some(Term::Literal(message)) => vec![message.clone()],
                _ => messages
                    .iter()
                    .map(|template| {
                        let text = sparql::fill_template(template.value(), lookup);
                        match template.language() {
                            Some(language) => {
                                Literal::new_language_tagged_literal_unchecked(text, language)
                            }
                            None => Literal::new_simple_literal(text),
                        }
                    })
                    .collect(),
            };
            self.push(
                sink,
                shape,
                focus_term,
                path,
                value,
                component.clone(),
                source_constraint.cloned(),
                texts,
            );
        }
    }

    fn component_constraint(
        &mut self,
        shape: &Shape,
        constraint: &ComponentConstraint,
        focus: TermId,
        values: &[TermId],
        sink: &mut Sink,
    ) {
        let mut prebound = self.prebound(shape, focus);
        let parameters: Vec<TermId> = constraint
            .parameters
            .iter()
            .map(|(_, term)| self.intern(term.as_ref()))
            .collect();
        match constraint.query.form {
            sparql::QueryForm::Select => {
                prebound.extend(parameters);
                match self.query(&constraint.query, &prebound) {
                    Ok(Outcome::Solutions(solutions)) => self.solutions_to_results(
                        sink,
                        shape,
                        focus,
                        solutions,
                        constraint.component.clone(),
                        None,
                        &constraint.messages,
                        &constraint.parameters,
                    ),
                    Ok(Outcome::Boolean(_)) => {}
                    Err(e) => self.fail(sink, format!("{}: {e}", constraint.component)),
                }
            }
            sparql::QueryForm::Ask => {
                for &v in values {
                    let mut bindings = prebound.clone();
                    bindings.push(v);
                    bindings.extend(parameters.iter().copied());
                    match self.query(&constraint.query, &bindings) {
                        Ok(Outcome::Boolean(true)) => {}
                        Ok(_) => {
                            let solution: Solution = vec![
                                (sparql::THIS.to_owned(), self.term(focus).into_owned()),
                                (sparql::VALUE.to_owned(), self.term(v).into_owned()),
                            ];
                            self.solutions_to_results(
                                sink,
                                shape,
                                focus,
                                vec![solution],
                                constraint.component.clone(),
                                None,
                                &constraint.messages,
                                &constraint.parameters,
                            );
                        }
                        Err(e) => self.fail(sink, format!("{}: {e}", constraint.component)),
                    }
                    if sink.done() {
                        return;
                    }
                }
            }
        }
    }
}

/// SPARQL `langMatches` (RFC 4647 basic filtering).
fn language_matches(tag: &str, range: &str) -> bool {
    if range == "*" {
        return !tag.is_empty();
    }
    let tag = tag.to_ascii_lowercase();
    tag == range
        || tag
            .strip_prefix(range)
            .is_some_and(|rest| rest.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use crate::validate::{Background, DataGraph, Severity, ShapeSet, ValidationReport};
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxrdf::{Graph, Term, Triple};

    const PREFIXES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n";

    fn triples(turtle: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(format!("{PREFIXES}{turtle}").as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()
            .expect("test Turtle parses")
    }

    fn shapes(turtle: &str) -> ShapeSet {
        let graph: Graph = triples(turtle).into_iter().collect();
        ShapeSet::from_graph(&graph)
    }

    fn validate(shapes_ttl: &str, data_ttl: &str) -> ValidationReport {
        let data = triples(data_ttl);
        shapes(shapes_ttl).validate(&DataGraph::new(&data))
    }

    fn short(term: &Term) -> String {
        match term {
            Term::BlankNode(_) => "_".to_owned(),
            Term::Literal(l)
                if l.datatype()
                    .as_str()
                    .starts_with("http://www.w3.org/2001/XMLSchema#")
                    && !l.datatype().as_str().ends_with("#string") =>
            {
                l.value().to_owned()
            }
            Term::Literal(l) => format!("'{}'", l.value()),
            Term::NamedNode(n) => n
                .as_str()
                .rsplit(['/', '#'])
                .next()
                .unwrap_or("")
                .to_owned(),
        }
    }

    /// Results as "Component focus value" lines with local names, sorted.
    fn summary(report: &ValidationReport) -> Vec<String> {
        let mut lines: Vec<String> = report
            .results
            .iter()
            .map(|r| {
                let component = short(&r.source_constraint_component.clone().into());
                let component = component.trim_end_matches("ConstraintComponent").to_owned();
                let value = r.value.as_ref().map_or_else(|| "-".to_owned(), short);
                format!("{component} {} {value}", short(&r.focus_node))
            })
            .collect();
        lines.sort();
        lines
    }

    fn check(shapes_ttl: &str, data_ttl: &str, expected: &[&str]) {
        let report = validate(shapes_ttl, data_ttl);
        assert_eq!(summary(&report), expected, "{:#?}", report.results);
        assert_eq!(report.conforms, expected.is_empty());
    }

    #[test]
    fn class_follows_subclasses_in_the_data() {
        check(
            "ex:S sh:targetNode ex:a, ex:b, ex:c, \"lit\" ; sh:class ex:Agent .",
            "ex:Org rdfs:subClassOf ex:Agent . ex:a a ex:Org . ex:b a ex:Other .",
            &["Class 'lit' 'lit'", "Class b b", "Class c c"],
        );
    }

    #[test]
    fn class_and_targets_follow_deep_hierarchies() {
        let chain: String = (0..100)
            .map(|i| format!("ex:C{} rdfs:subClassOf ex:C{i} . ", i + 1))
            .collect();
        check(
            "ex:S sh:targetClass ex:C0 ; sh:class ex:C1 .",
            &format!("{chain} ex:deep a ex:C100 . ex:top a ex:C0 ."),
            &["Class top top"],
        );
    }

    #[test]
    fn class_uses_the_background_without_copying_it() {
        let shapes = shapes(
            "ex:S sh:targetClass ex:Dataset ; sh:property [ sh:path ex:theme ; sh:class ex:Concept ] .",
        );
        let mut background = Background::new(&triples(
            "ex:HEAL a ex:Concept . ex:Theme rdfs:subClassOf ex:Concept . ex:SOCI a ex:Theme . ex:x a ex:Dataset .",
        ));
        let record = triples("ex:d a ex:Dataset ; ex:theme ex:HEAL, ex:SOCI, ex:UNKNOWN .");
        let unprepared = shapes.validate(&DataGraph::with_background(&background, &record));
        background.prepare_for(&shapes);
        let prepared = shapes.validate(&DataGraph::with_background(&background, &record));
        assert_eq!(summary(&unprepared), ["Class d UNKNOWN"]);
        assert_eq!(summary(&prepared), summary(&unprepared));
        // ex:x is a dataset of the background: a focus node only when asked for.
        let all = DataGraph::with_background(&background, &record).with_targets_in_background(true);
        assert_eq!(summary(&shapes.validate(&all)), ["Class d UNKNOWN"]);
        let shapes_with_title = self::shapes(
            "ex:S sh:targetClass ex:Dataset ; sh:property [ sh:path ex:title ; sh:minCount 1 ] .",
        );
        let all = DataGraph::with_background(&background, &record).with_targets_in_background(true);
        assert_eq!(
            summary(&shapes_with_title.validate(&all)),
            ["MinCount d -", "MinCount x -"]
        );
    }

    #[test]
    fn datatype_rejects_ill_typed_literals() {
        check(
            "ex:S sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:n ; sh:datatype xsd:nonNegativeInteger ] .
             ex:T sh:targetSubjectsOf ex:d ; sh:property [ sh:path ex:d ; sh:datatype xsd:date ] .",
            "ex:a ex:n 3, \"-1\"^^xsd:nonNegativeInteger, \"3\" .
             ex:b ex:d \"2021-12-01\"^^xsd:date, \"2021-13-01\"^^xsd:date, \"2021-02-30\"^^xsd:date .",
            &["Datatype a '3'", "Datatype a -1", "Datatype a 3", "Datatype b 2021-02-30", "Datatype b 2021-13-01"],
        );
    }

    #[test]
    fn node_kind_and_counts() {
        check(
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:nodeKind sh:IRI ; sh:minCount 3 ; sh:maxCount 1 ] .",
            "ex:a ex:p ex:x, \"y\" .",
            &["MaxCount a -", "MinCount a -", "NodeKind a 'y'"],
        );
    }

    #[test]
    fn ranges_and_lengths() {
        check(
            "ex:S sh:targetSubjectsOf ex:age ; sh:property [ sh:path ex:age ; sh:minInclusive 0 ; sh:maxExclusive 150 ] .
             ex:T sh:targetSubjectsOf ex:code ; sh:property [ sh:path ex:code ; sh:minLength 2 ; sh:maxLength 3 ] .",
            "ex:a ex:age -1, 150, 20, \"x\" . ex:b ex:code \"a\", \"abcd\", \"ab\", [] .",
            &[
                "MaxExclusive a 'x'",
                "MaxExclusive a 150",
                "MaxLength b 'abcd'",
                "MaxLength b _",
                "MinInclusive a 'x'",
                "MinInclusive a -1",
                "MinLength b 'a'",
                "MinLength b _",
            ],
        );
    }

    #[test]
    fn pattern_language_and_unique_language() {
        check(
            "ex:S sh:targetSubjectsOf ex:id ; sh:property [ sh:path ex:id ; sh:pattern \"^no-[0-9]+$\" ; sh:flags \"i\" ] .
             ex:T sh:targetSubjectsOf ex:title ; sh:property [ sh:path ex:title ; sh:languageIn ( \"en\" \"nb\" ) ; sh:uniqueLang true ] .",
            "ex:a ex:id \"NO-12\", \"se-1\" .
             ex:b ex:title \"A\"@en, \"B\"@en, \"B\"@en-GB, \"C\"@nb, \"D\"@sv, \"E\" .",
            &["LanguageIn b 'D'", "LanguageIn b 'E'", "Pattern a 'se-1'", "UniqueLang b -"],
        );
    }

    #[test]
    fn property_pair_components() {
        check(
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:start ; sh:lessThan ex:end ; sh:disjoint ex:other ; sh:equals ex:same ] .",
            "ex:a ex:start 1, 5 ; ex:end 3 ; ex:other 5 ; ex:same 1, 2 .",
            &["Disjoint a 5", "Equals a 2", "Equals a 5", "LessThan a 5"],
        );
        check(
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:start ; sh:lessThanOrEquals ex:end ] .",
            "ex:a ex:start \"2020-01-01\"^^xsd:date, \"2021-01-01\"^^xsd:date ; ex:end \"2020-01-01\"^^xsd:date .",
            &["LessThanOrEquals a 2021-01-01"],
        );
    }

    #[test]
    fn logical_components() {
        check(
            "ex:Named sh:property [ sh:path ex:name ; sh:minCount 1 ] .
             ex:Aged sh:property [ sh:path ex:age ; sh:minCount 1 ] .
             ex:S sh:targetNode ex:none, ex:name, ex:both ;
                sh:or ( ex:Named ex:Aged ) ; sh:xone ( ex:Named ex:Aged ) ; sh:and ( ex:Named ex:Aged ) ; sh:not ex:Named .",
            "ex:name ex:name \"n\" . ex:both ex:name \"n\" ; ex:age 3 .",
            &[
                "And name name",
                "And none none",
                "Not both both",
                "Not name name",
                "Or none none",
                "Xone both both",
                "Xone none none",
            ],
        );
    }

    #[test]
    fn node_and_nested_property_shapes() {
        check(
            "ex:Address sh:property [ sh:path ex:city ; sh:minCount 1 ] .
             ex:S sh:targetNode ex:a ;
                sh:property [ sh:path ex:address ; sh:node ex:Address ] ;
                sh:property [ sh:path ex:address ; sh:property [ sh:path ex:zip ; sh:maxCount 1 ] ] .",
            "ex:a ex:address ex:x, ex:y . ex:x ex:city \"Oslo\" . ex:y ex:zip 1, 2 .",
            &["MaxCount y -", "Node a y"],
        );
    }

    #[test]
    fn qualified_value_shapes_with_disjoint_siblings() {
        check(
            "ex:Thumb sh:property [ sh:path ex:kind ; sh:hasValue ex:thumb ] .
             ex:Finger sh:property [ sh:path ex:kind ; sh:hasValue ex:finger ] .
             ex:Hand sh:targetNode ex:h ;
                sh:property [ sh:path ex:digit ; sh:qualifiedValueShape ex:Thumb ; sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ; sh:qualifiedValueShapesDisjoint true ] ;
                sh:property [ sh:path ex:digit ; sh:qualifiedValueShape ex:Finger ; sh:qualifiedMinCount 4 ; sh:qualifiedValueShapesDisjoint true ] .",
            "ex:h ex:digit ex:d1, ex:d2, ex:d3, ex:d4, ex:d5 .
             ex:d1 ex:kind ex:thumb, ex:finger . ex:d2 ex:kind ex:finger . ex:d3 ex:kind ex:finger .
             ex:d4 ex:kind ex:finger . ex:d5 ex:kind ex:finger .",
            // ex:d1 is both, so it counts for neither: no thumb, and exactly four fingers.
            &["QualifiedMinCount h -"],
        );
    }

    #[test]
    fn closed_has_value_and_in() {
        check(
            "ex:S sh:targetNode ex:a ; sh:closed true ; sh:ignoredProperties ( rdf:type ) ;
                sh:property [ sh:path ex:status ; sh:in ( ex:open ex:closed ) ; sh:hasValue ex:open ] .",
            "ex:a a ex:Thing ; ex:status ex:closed, ex:maybe ; ex:extra 1 .",
            &["Closed a 1", "HasValue a -", "In a maybe"],
        );
        let report = validate(
            "ex:S sh:targetNode ex:a ; sh:closed true ; sh:property [ sh:path ex:p ] .",
            "ex:a ex:p 1 ; ex:q 2 .",
        );
        let path = report.results[0].path.as_ref().map(ToString::to_string);
        assert_eq!(path.as_deref(), Some("<http://example.org/q>"));
    }

    #[test]
    fn paths_of_every_kind() {
        check(
            "ex:S sh:targetNode ex:a ;
                sh:property [ sh:path ( ex:p ex:q ) ; sh:hasValue ex:c ] ;
                sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:hasValue ex:z ] ;
                sh:property [ sh:path [ sh:alternativePath ( ex:p ex:r ) ] ; sh:minCount 3 ] ;
                sh:property [ sh:path [ sh:oneOrMorePath ex:next ] ; sh:maxCount 2 ] ;
                sh:property [ sh:path [ sh:zeroOrMorePath ex:next ] ; sh:maxCount 3 ] ;
                sh:property [ sh:path [ sh:zeroOrOnePath ex:next ] ; sh:maxCount 1 ] .",
            "ex:a ex:p ex:b ; ex:r ex:b ; ex:next ex:n1 . ex:b ex:q ex:c . ex:z ex:p ex:a .
             ex:n1 ex:next ex:n2 . ex:n2 ex:next ex:a .",
            &["MaxCount a -", "MaxCount a -", "MinCount a -"],
        );
    }

    #[test]
    fn deactivated_severity_and_messages() {
        let report = validate(
            "ex:Off sh:targetNode ex:a ; sh:deactivated true ; sh:class ex:X .
             ex:Warn sh:targetNode ex:a ; sh:severity sh:Warning ; sh:message \"Needs a class\"@en ; sh:class ex:X .
             ex:Info sh:targetNode ex:a ; sh:severity sh:Info ; sh:nodeKind sh:Literal .",
            "ex:a ex:p 1 .",
        );
        let mut found: Vec<(Severity, String)> = report
            .results
            .iter()
            .map(|r| {
                (
                    r.severity.clone(),
                    r.messages.iter().map(|m| m.to_string()).collect(),
                )
            })
            .collect();
        found.sort_by_key(|(s, _)| s.to_string());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, Severity::Info);
        assert!(!found[0].1.is_empty(), "a default message is generated");
        assert_eq!(
            found[1],
            (Severity::Warning, "\"Needs a class\"@en".to_owned())
        );
        assert_eq!(report.violations(), 0);
        assert!(!report.conforms, "any result makes the data non-conforming");
    }

    #[test]
    fn recursive_shapes_terminate() {
        check(
            "ex:Person sh:targetNode ex:a ; sh:property [ sh:path ex:knows ; sh:node ex:Person ] ;
                sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
            "ex:a ex:knows ex:b ; ex:name \"A\" . ex:b ex:knows ex:a .",
            &["Node a b"],
        );
    }

    #[test]
    fn targets_of_every_kind() {
        check(
            "ex:Thing a rdfs:Class, sh:NodeShape ; sh:nodeKind sh:BlankNode .
             ex:S sh:targetSubjectsOf ex:p ; sh:targetObjectsOf ex:p ; sh:nodeKind sh:BlankNode .",
            "ex:Sub rdfs:subClassOf ex:Thing . ex:t a ex:Sub . ex:s ex:p ex:o .",
            &["NodeKind o o", "NodeKind s s", "NodeKind t t"],
        );
    }

    #[test]
    fn sparql_constraints_pre_bind_blank_focus_nodes() {
        let report = validate(
            "ex: sh:declare [ sh:prefix \"ex\" ; sh:namespace \"http://example.org/\"^^xsd:anyURI ] .
             ex:S sh:targetClass ex:Period ; sh:sparql [
                sh:prefixes ex: ;
                sh:message \"{$this} ends ({?end}) before it starts\" ;
                sh:select \"SELECT $this ?end WHERE { $this ex:start ?start ; ex:end ?end . FILTER (?end < ?start) }\" ] .",
            "ex:d ex:temporal [ a ex:Period ; ex:start 2020 ; ex:end 2019 ], [ a ex:Period ; ex:start 1 ; ex:end 2 ] .",
        );
        assert_eq!(report.failures, Vec::<String>::new());
        assert_eq!(summary(&report), ["SPARQL _ _"]);
        let message = report.results[0].messages[0].value().to_owned();
        assert!(
            message.starts_with("_:") && message.ends_with("ends (2019) before it starts"),
            "{message}"
        );
    }

    #[test]
    fn sparql_components_with_parameters() {
        check(
            "ex:Lang a sh:ConstraintComponent ;
                sh:parameter [ sh:path ex:lang ] ;
                sh:validator [ a sh:SPARQLAskValidator ; sh:ask \"ASK { FILTER (langMatches(lang($value), $lang)) }\" ] .
             ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:label ; ex:lang \"de\" ] .",
            "ex:a ex:label \"Haus\"@de, \"House\"@en .",
            &["Lang a 'House'"],
        );
    }

    #[test]
    fn reports_become_standard_rdf() {
        let report = validate(
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ] .",
            "ex:b ex:q ex:a .",
        );
        let graph = report.to_graph();
        let text: Vec<String> = graph.iter().map(|t| t.to_string()).collect();
        let has = |p: &str, o: &str| text.iter().any(|t| t.contains(p) && t.contains(o));
        assert!(has(
            "shacl#conforms",
            "\"false\"^^<http://www.w3.org/2001/XMLSchema#boolean>"
        ));
        assert!(has("shacl#resultPath", "_:"));
        assert!(has("shacl#inversePath", "<http://example.org/p>"));
        assert!(has(
            "shacl#sourceConstraintComponent",
            "shacl#MinCountConstraintComponent"
        ));
        assert!(has("shacl#resultSeverity", "shacl#Violation"));
        assert!(has("shacl#focusNode", "<http://example.org/a>"));
    }
}

//! Zave's model of the ORIGINAL Chord ring-maintenance protocol.
//!
//! Owns: the node state (`succ`, `succ2`, `prdc`, liveness, membership), the
//! atomic steps Join, Stabilize, Notified, Fail, Flush, Update and Reconcile
//! with exactly the semantics of zave.md's section "Zave's model of the
//! original protocol", the two optional liveness checks, and a small text DSL
//! for driving the model ("Join n2; S n2; S n0; ...").
//! Must never: repair or "improve" the protocol beyond those semantics, check
//! properties itself (that is `properties`), or choose steps at random (that is
//! `search`). A refused step leaves the state untouched.
//!
//! Choices where zave.md is silent, fixed here and documented on each step:
//! nodes read each other's state directly; a dead node never changes again and
//! never rejoins; Stabilize needs a live successor (its query cannot reach a
//! dead one; Update is the step that handles that case); a notification to a
//! dead node is lost; Notified(n, p) is only delivered while p is live and
//! p.succ = n.

use crate::oracle::zave::properties::RingView;
use crate::oracle::zave::ring_id::{between, clockwise};
use std::fmt;

/// The two "straightforward bug fixes" of zave.md, each optional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checks {
    /// Join via m only if m.succ is a member.
    pub join_liveness: bool,
    /// Stabilize adopts x = succ.prdc only if x is a member.
    pub stabilize_liveness: bool,
}

impl Checks {
    /// Both liveness checks on.
    #[must_use]
    pub fn both() -> Self {
        Checks { join_liveness: true, stabilize_liveness: true }
    }
    /// Both liveness checks off.
    #[must_use]
    pub fn none() -> Self {
        Checks { join_liveness: false, stabilize_liveness: false }
    }
}

/// State of one node slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    id: u64,
    alive: bool,
    member: bool,
    succ: Option<usize>,
    succ2: Option<usize>,
    prdc: Option<usize>,
    /// `[succ, succ2]` minus empty entries, kept in sync for `RingView`.
    list: [usize; 2],
    list_len: usize,
}

impl Node {
    fn new(id: u64) -> Self {
        Node { id, alive: true, member: false, succ: None, succ2: None, prdc: None, list: [0; 2], list_len: 0 }
    }
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }
    #[must_use]
    pub fn alive(&self) -> bool {
        self.alive
    }
    /// Has joined; stays true after failure (`RingView::is_member` is
    /// `alive && joined`).
    #[must_use]
    pub fn joined(&self) -> bool {
        self.member
    }
    #[must_use]
    pub fn succ(&self) -> Option<usize> {
        self.succ
    }
    #[must_use]
    pub fn succ2(&self) -> Option<usize> {
        self.succ2
    }
    #[must_use]
    pub fn prdc(&self) -> Option<usize> {
        self.prdc
    }
    fn set_succs(&mut self, succ: Option<usize>, succ2: Option<usize>) {
        self.succ = succ;
        self.succ2 = succ2;
        self.list_len = 0;
        for s in [succ, succ2].into_iter().flatten() {
            self.list[self.list_len] = s;
            self.list_len += 1;
        }
    }
}

/// One atomic step of the model. Node fields are slot indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Join n via member `via` (`None`: the closest preceding member that the
    /// enabled checks accept).
    Join {
        n: usize,
        via: Option<usize>,
    },
    /// Stabilize n without delivering the notification.
    Stabilize(usize),
    /// n is notified by p (p's stabilize notification, delivered later).
    Notified {
        n: usize,
        p: usize,
    },
    /// "S n": Stabilize n followed by the Notified it causes.
    S(usize),
    Fail(usize),
    Flush(usize),
    Update(usize),
    Reconcile(usize),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Step::Join { n, via: None } => write!(f, "Join n{n}"),
            Step::Join { n, via: Some(m) } => write!(f, "Join n{n} via n{m}"),
            Step::Stabilize(n) => write!(f, "Stabilize n{n}"),
            Step::Notified { n, p } => write!(f, "Notified n{n} n{p}"),
            Step::S(n) => write!(f, "S n{n}"),
            Step::Fail(n) => write!(f, "Fail n{n}"),
            Step::Flush(n) => write!(f, "Flush n{n}"),
            Step::Update(n) => write!(f, "Update n{n}"),
            Step::Reconcile(n) => write!(f, "Reconcile n{n}"),
        }
    }
}

/// Renders steps in the DSL syntax accepted by `Model::run`.
pub fn to_script(steps: &[Step]) -> String {
    steps.iter().map(Step::to_string).collect::<Vec<_>>().join("; ")
}

/// Why a step was refused (its preconditions do not hold).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Errors from driving the model with a DSL script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptError {
    /// Statement number `index` (0-based) could not be parsed.
    Parse { index: usize, statement: String, reason: String },
    /// Statement number `index` parsed but its step was refused.
    Refused { index: usize, statement: String, reason: String },
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptError::Parse { index, statement, reason } => {
                write!(f, "statement {index} `{statement}`: parse error: {reason}")
            }
            ScriptError::Refused { index, statement, reason } => {
                write!(f, "statement {index} `{statement}`: step refused: {reason}")
            }
        }
    }
}

impl std::error::Error for ScriptError {}

/// The whole model state: one `Node` per slot, plus the check configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    nodes: Vec<Node>,
    checks: Checks,
}

impl Model {
    /// Slots `n0..` get `ids` in order. Initial state (zave.md): the single
    /// member n0 with succ = n0; every other node is live but not a member.
    ///
    /// # Panics
    /// If `ids` is empty or contains a duplicate.
    #[must_use]
    pub fn new(ids: &[u64], checks: Checks) -> Self {
        assert!(!ids.is_empty(), "the model needs at least node n0");
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "ring ids must be unique: {ids:?}");
        let mut nodes: Vec<Node> = ids.iter().map(|&id| Node::new(id)).collect();
        nodes[0].member = true;
        nodes[0].set_succs(Some(0), None);
        Model { nodes, checks }
    }

    #[must_use]
    pub fn checks(&self) -> Checks {
        self.checks
    }

    #[must_use]
    pub fn node(&self, n: usize) -> &Node {
        &self.nodes[n]
    }

    /// Ring ids of all slots, in slot order.
    #[must_use]
    pub fn ids(&self) -> Vec<u64> {
        self.nodes.iter().map(|x| x.id).collect()
    }

    fn live_member(&self, n: usize) -> bool {
        self.nodes[n].alive && self.nodes[n].member
    }

    fn alive(&self, n: usize) -> bool {
        self.nodes[n].alive
    }

    fn id_of(&self, n: usize) -> u64 {
        self.nodes[n].id
    }

    fn require_member(&self, n: usize) -> Result<(), Refused> {
        if n >= self.nodes.len() {
            return Err(Refused(format!("n{n} does not exist")));
        }
        if !self.live_member(n) {
            return Err(Refused(format!("n{n} is not a live member")));
        }
        Ok(())
    }

    /// Applies one step; on refusal the state is unchanged.
    pub fn apply(&mut self, step: Step) -> Result<(), Refused> {
        match step {
            Step::Join { n, via } => self.join(n, via),
            Step::Stabilize(n) => self.stabilize(n),
            Step::Notified { n, p } => self.notified(n, p),
            Step::S(n) => self.stabilize_and_notify(n),
            Step::Fail(n) => self.fail(n),
            Step::Flush(n) => self.flush(n),
            Step::Update(n) => self.update(n),
            Step::Reconcile(n) => self.reconcile(n),
        }
    }

    /// Members m via which n may join (n ∈ (m, m.succ) and the enabled join
    /// check accepts m.succ), in slot order.
    #[must_use]
    pub fn join_candidates(&self, n: usize) -> Vec<usize> {
        if n >= self.nodes.len() {
            return Vec::new();
        }
        (0..self.nodes.len()).filter(|&m| self.check_join_via(n, m).is_ok()).collect()
    }

    /// Join(n) via m: "some member m with n ∈ (m, m.succ) and [with the join
    /// check] m.succ a member" (zave.md).
    fn check_join_via(&self, n: usize, m: usize) -> Result<(), Refused> {
        self.require_member(m)?;
        let s = self.nodes[m].succ.expect("members always have a successor");
        if !between(self.id_of(m), self.id_of(n), self.id_of(s)) {
            return Err(Refused(format!("n{n} is not in (n{m}, n{m}.succ = n{s})")));
        }
        if self.checks.join_liveness && !self.live_member(s) {
            return Err(Refused(format!("join check: n{m}.succ = n{s} is not a member")));
        }
        Ok(())
    }

    /// Join(n) (zave.md): n.succ := m.succ; n.prdc := none; succ2 empty.
    fn join(&mut self, n: usize, via: Option<usize>) -> Result<(), Refused> {
        if n >= self.nodes.len() || !self.alive(n) || self.nodes[n].member {
            return Err(Refused(format!("n{n} is not a live node outside the network")));
        }
        let m = match via {
            Some(m) => {
                self.check_join_via(n, m)?;
                m
            }
            None => self.default_join_via(n)?,
        };
        let s = self.nodes[m].succ;
        let node = &mut self.nodes[n];
        node.member = true;
        node.set_succs(s, None);
        node.prdc = None;
        Ok(())
    }

    /// The accepted member m closest before n (what a lookup of n would find).
    fn default_join_via(&self, n: usize) -> Result<usize, Refused> {
        let target = self.id_of(n);
        (0..self.nodes.len())
            .filter(|&m| self.check_join_via(n, m).is_ok())
            .min_by_key(|&m| clockwise(self.id_of(m), target))
            .ok_or_else(|| Refused(format!("no member m with n{n} in (m, m.succ) is accepted")))
    }

    /// Stabilize(n) (zave.md): x = n.succ.prdc; if x exists, x ∈ (n, n.succ)
    /// and [with the stabilize check] x is a member: n.succ := x. succ2 is left
    /// as it is (only Reconcile refreshes it). Needs n.succ live: the query
    /// cannot reach a dead successor.
    fn stabilize(&mut self, n: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        let s = self.nodes[n].succ.expect("members always have a successor");
        if !self.alive(s) {
            return Err(Refused(format!("n{n}.succ = n{s} is dead; stabilize cannot query it")));
        }
        let Some(x) = self.nodes[s].prdc else {
            return Ok(());
        };
        let inside = between(self.id_of(n), self.id_of(x), self.id_of(s));
        if inside && (!self.checks.stabilize_liveness || self.live_member(x)) {
            let succ2 = self.nodes[n].succ2;
            self.nodes[n].set_succs(Some(x), succ2);
        }
        Ok(())
    }

    /// Notified(n, p) (zave.md): if n.prdc is none or p ∈ (n.prdc, n):
    /// n.prdc := p. Delivered only between live members, while p.succ = n
    /// (a notification in flight when p fails or moves on is lost).
    fn notified(&mut self, n: usize, p: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        if p >= self.nodes.len() || !self.live_member(p) || self.nodes[p].succ != Some(n) {
            return Err(Refused(format!("n{p} is not a live member with succ n{n}")));
        }
        let adopt = match self.nodes[n].prdc {
            None => true,
            Some(q) => between(self.id_of(q), self.id_of(p), self.id_of(n)),
        };
        if adopt {
            self.nodes[n].prdc = Some(p);
        }
        Ok(())
    }

    /// "S n" of the traces: Stabilize n, then the Notified(n.succ, n) it
    /// always ends with. A notification to a dead successor (possible without
    /// the stabilize check) is lost.
    fn stabilize_and_notify(&mut self, n: usize) -> Result<(), Refused> {
        self.stabilize(n)?;
        let s = self.nodes[n].succ.expect("members always have a successor");
        if self.live_member(s) {
            self.notified(s, n)?;
        }
        Ok(())
    }

    /// Fail(n) (zave.md): allowed only if every m with m.succ = n has a live
    /// succ2, every m with m.succ2 = n has a live succ, and n.succ ≠ n.succ2.
    /// "Live" is judged after the failure (so it cannot be n itself): that is
    /// the stated assumption that no failure leaves a node with no live
    /// successor-list entry (judged before, m with succ = succ2 = n would
    /// pass). m ranges over every live member, n included as written; this is
    /// also what stops the last live member from failing.
    fn fail(&mut self, n: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        let live_after = |x: Option<usize>| x.is_some_and(|x| x != n && self.alive(x));
        for m in (0..self.nodes.len()).filter(|&m| self.live_member(m)) {
            let node = &self.nodes[m];
            if node.succ == Some(n) && !live_after(node.succ2) {
                return Err(Refused(format!("n{m}.succ = n{n} and n{m} has no other live successor")));
            }
            if node.succ2 == Some(n) && !live_after(node.succ) {
                return Err(Refused(format!("n{m}.succ2 = n{n} and n{m} has no other live successor")));
            }
        }
        if self.nodes[n].succ == self.nodes[n].succ2 {
            return Err(Refused(format!("n{n}.succ = n{n}.succ2")));
        }
        self.nodes[n].alive = false;
        Ok(())
    }

    /// Flush(n) (zave.md, `check_predecessor)`: clear a dead prdc.
    fn flush(&mut self, n: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        if self.nodes[n].prdc.is_some_and(|p| !self.alive(p)) {
            self.nodes[n].prdc = None;
        }
        Ok(())
    }

    /// Update(n) (zave.md): if n.succ is dead and succ2 exists: succ := succ2,
    /// succ2 := none. (succ2 is promoted even if it is dead too.)
    fn update(&mut self, n: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        let node = &self.nodes[n];
        let dead_succ = node.succ.is_some_and(|s| !self.alive(s));
        if dead_succ && node.succ2.is_some() {
            let succ2 = node.succ2;
            self.nodes[n].set_succs(succ2, None);
        }
        Ok(())
    }

    /// Reconcile(n) (zave.md): if n.succ is live: succ2 := n.succ.succ.
    fn reconcile(&mut self, n: usize) -> Result<(), Refused> {
        self.require_member(n)?;
        let succ = self.nodes[n].succ;
        if let Some(s) = succ.filter(|&s| self.alive(s)) {
            let succ2 = self.nodes[s].succ;
            self.nodes[n].set_succs(succ, succ2);
        }
        Ok(())
    }

    /// Parses a DSL script into steps without applying them.
    ///
    /// Statements are separated by `;` or newlines; `#` starts a comment.
    /// Forms: `Join nX`, `Join nX via nY`, `S nX` (stabilize + notify),
    /// `Stabilize nX`, `Notified nX nP` (nX notified by nP), `Fail nX`,
    /// `Flush nX`, `Update nX`, `Reconcile nX`. `nK` names slot K.
    pub fn parse(&self, script: &str) -> Result<Vec<Step>, ScriptError> {
        statements(script)
            .enumerate()
            .map(|(index, stmt)| {
                self.parse_statement(stmt).map_err(|reason| ScriptError::Parse {
                    index,
                    statement: stmt.to_string(),
                    reason,
                })
            })
            .collect()
    }

    fn parse_statement(&self, stmt: &str) -> Result<Step, String> {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let node = |w: &str| parse_node(w, self.nodes.len());
        match words.as_slice() {
            ["Join", n] => Ok(Step::Join { n: node(n)?, via: None }),
            ["Join", n, "via", m] => Ok(Step::Join { n: node(n)?, via: Some(node(m)?) }),
            ["Notified", n, p] => Ok(Step::Notified { n: node(n)?, p: node(p)? }),
            [verb, n] => single_node_step(verb, node(n)?),
            _ => Err("expected `<Step> nK`, `Join nK [via nM]` or `Notified nK nP`".into()),
        }
    }

    /// Parses and applies a script, stopping at the first refused step.
    pub fn run(&mut self, script: &str) -> Result<(), ScriptError> {
        let steps = self.parse(script)?;
        let stmts: Vec<&str> = statements(script).collect();
        for (index, step) in steps.into_iter().enumerate() {
            self.apply(step).map_err(|r| ScriptError::Refused {
                index,
                statement: stmts[index].to_string(),
                reason: r.0,
            })?;
        }
        Ok(())
    }

    /// One line per slot: `nK live|dead|outside succ=.. succ2=.. prdc=..`.
    #[must_use]
    pub fn snapshot(&self) -> String {
        let name = |x: Option<usize>| x.map_or("-".to_string(), |x| format!("n{x}"));
        let line = |(k, x): (usize, &Node)| {
            let status = match (x.alive, x.member) {
                (_, false) => return format!("n{k} outside"),
                (true, true) => "live",
                (false, true) => "dead",
            };
            format!("n{k} {status} succ={} succ2={} prdc={}", name(x.succ), name(x.succ2), name(x.prdc))
        };
        self.nodes.iter().enumerate().map(line).collect::<Vec<_>>().join("\n")
    }
}

fn statements(script: &str) -> impl Iterator<Item = &str> {
    script
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split(';'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn parse_node(word: &str, len: usize) -> Result<usize, String> {
    let k: usize = word
        .strip_prefix('n')
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("`{word}` is not a node name like n0"))?;
    if k >= len {
        return Err(format!("node {word} does not exist (only n0..n{})", len - 1));
    }
    Ok(k)
}

fn single_node_step(verb: &str, n: usize) -> Result<Step, String> {
    Ok(match verb {
        "S" => Step::S(n),
        "Stabilize" => Step::Stabilize(n),
        "Fail" => Step::Fail(n),
        "Flush" => Step::Flush(n),
        "Update" => Step::Update(n),
        "Reconcile" => Step::Reconcile(n),
        _ => return Err(format!("unknown step `{verb}`")),
    })
}

impl RingView for Model {
    fn len(&self) -> usize {
        self.nodes.len()
    }
    fn id(&self, n: usize) -> u64 {
        self.nodes[n].id
    }
    fn is_live(&self, n: usize) -> bool {
        self.nodes[n].alive
    }
    fn is_member(&self, n: usize) -> bool {
        self.live_member(n)
    }
    fn succ_list(&self, n: usize) -> &[usize] {
        let node = &self.nodes[n];
        &node.list[..node.list_len]
    }
    fn r(&self) -> usize {
        2
    }
}

#[cfg(test)]
mod tests;

//! A small DSL for hand-written ring tests:
//! `TestRing::new(8).crash(3).run_rounds(5).assert_lookups_match_truth()`.
//!
//! Rings live in a 16-bit id space with r = 3, constant 10 ms latency and a 100 ms RPC timeout, so a
//! timeout always means a dead node. A round is 1 s. `manual` rings have periodic maintenance pushed
//! out of reach (every 10^6 s) so a test drives each stabilization itself.

use chordsim::id::Id;
use chordsim::protocol::msg::Addr;
use chordsim::scenario::Scenario;
use chordsim::sim::engine::Sim;

pub struct TestRing {
    pub sim: Sim,
}

const ROUND_US: u64 = 1_000_000;

fn toml(nodes: usize, ids: &[u64], period_ms: u64) -> String {
    let ids: Vec<String> = ids.iter().map(|i| format!("\"{i:#x}\"")).collect();
    format!(
        r#"
        id_bits = 16
        duration_s = 1000000
        expect = "no_check"
        [initial]
        nodes = {nodes}
        ids = [{ids}]
        [protocol]
        successor_list_len = 3
        stabilize_interval_ms = 1000
        fix_fingers_interval_ms = {period_ms}
        check_predecessor_interval_ms = {period_ms}
        [net]
        latency = {{ kind = "constant", ms = 10 }}
        rpc_timeout_ms = 100
        [check]
        probe_keys = 200
        "#,
        ids = ids.join(", ")
    )
}

impl TestRing {
    /// An ideal ring of `n` nodes with ids drawn from seed 1.
    pub fn new(n: usize) -> Self {
        Self::from_toml(&toml(n, &[], 1000), 1)
    }

    /// An ideal ring with exactly these ids.
    pub fn with_ids(ids: &[u64]) -> Self {
        Self::from_toml(&toml(ids.len(), ids, 1000), 1)
    }

    /// Like [`TestRing::with_ids`], but nothing happens unless the test asks for it.
    pub fn manual(ids: &[u64]) -> Self {
        let text = toml(ids.len(), ids, 1_000_000_000)
            .replace("stabilize_interval_ms = 1000", "stabilize_interval_ms = 1000000000");
        Self::from_toml(&text, 1)
    }

    fn from_toml(text: &str, seed: u64) -> Self {
        let mut sc = Scenario::parse(text, "<test ring>", "test-ring").expect("test ring scenario is valid");
        sc.reseed(seed);
        TestRing { sim: Sim::new(sc).expect("test ring builds") }
    }

    pub fn addr(&self, id: u64) -> Addr {
        self.sim.truth().by_id(Id(id)).unwrap_or_else(|| panic!("no live node {id:#x}")).addr
    }

    /// Crashes the live node of this rank (0-based, id order).
    pub fn crash(mut self, rank: usize) -> Self {
        let a = self.sim.truth().sorted()[rank].addr;
        self.sim.crash(a);
        self
    }

    pub fn crash_id(mut self, id: u64) -> Self {
        let a = self.addr(id);
        self.sim.crash(a);
        self
    }

    pub fn leave_id(mut self, id: u64) -> Self {
        let a = self.addr(id);
        self.sim.leave(a);
        self.settle()
    }

    /// `k` new nodes join through random joined nodes.
    pub fn join(mut self, k: usize) -> Self {
        for _ in 0..k {
            self.sim.join_new();
        }
        self
    }

    /// A node with this id joins, and the join lookup is allowed to finish.
    pub fn join_id(mut self, id: u64) -> Self {
        self.sim.join_with_id(Id(id));
        self.settle()
    }

    pub fn run_rounds(mut self, k: u64) -> Self {
        let t = self.sim.now() + k * ROUND_US;
        self.sim.run_until(t);
        self
    }

    /// Lets in-flight messages and timeouts play out (0.5 s ≫ latency and RPC timeout).
    pub fn settle(mut self) -> Self {
        let t = self.sim.now() + 500_000;
        self.sim.run_until(t);
        self
    }

    /// Node `id` runs one stabilization (`ToN`'03 Fig. 6) now; its messages are delivered.
    pub fn stabilize(mut self, id: u64) -> Self {
        let a = self.addr(id);
        self.sim.stabilize_now(a);
        self.settle()
    }

    /// The owner a lookup from node `from` finds for `key`, walking current routing state.
    pub fn lookup(&mut self, from: u64, key: u64) -> Option<u64> {
        let a = self.addr(from);
        let sim = &mut self.sim;
        sim.probe(a, Id(key)).0.map(|p| p.id.0)
    }

    pub fn truth(&self, key: u64) -> u64 {
        self.sim.truth().successor(Id(key)).expect("non-empty ring").id.0
    }

    pub fn succ_list(&self, id: u64) -> Vec<u64> {
        self.sim.node(self.addr(id)).succ_list().iter().map(|p| p.id.0).collect()
    }

    pub fn assert_ring_correct(mut self) -> Self {
        let (row, why) = self.sim.snapshot();
        let ok = row.succ_ok == 1.0 && row.pred_ok == 1.0 && row.list_ok == 1.0;
        assert!(ok, "ring not correct at t = {} s: {row:?}\nfirst problem: {why:?}", row.time_s);
        self
    }

    pub fn assert_lookups_match_truth(mut self) -> Self {
        let (row, why) = self.sim.snapshot();
        assert!(row.probes > 0, "no probe ran");
        assert_eq!(row.probes_ok, row.probes, "probe lookups wrong at t = {} s: {why:?}", row.time_s);
        self
    }
}

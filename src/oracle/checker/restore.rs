//! The checks a checker restored from a checkpoint passes before the run goes on.
//!
//! Owns: [`Checker::check_restored`]: the settings the checker copies from the scenario at the start
//! (the successor list length, the id space, the lookup step limit, round length, partitions, …) must
//! be what the run's scenario gives now, and the tag arenas of lookups and DHT operations in flight
//! must be consistent (the tags nodes echo back index them).
//! Never: repair a checker, or run anywhere but on restore.

use super::Checker;
use crate::scenario::Scenario;

impl Checker {
    /// A checker decoded from a checkpoint for a run of `sc`.
    pub fn check_restored(&self, sc: &Scenario) -> Result<(), String> {
        let fresh = Checker::new(sc);
        let settings = |c: &Checker| {
            let flags = [c.check_convergence, c.zave, c.perfect_fd, c.stop_on_violation, c.guarded, c.dht.is_some()];
            let limits = (c.r, c.probe_keys, c.max_steps, c.quiet_start, c.quiet_rounds_max, c.round_us, c.warmup_us);
            (c.space, limits, flags, c.latency.is_some(), c.partitions.clone())
        };
        if settings(self) != settings(&fresh) {
            return Err("checker: its settings are not those of the checkpoint's scenario".into());
        }
        crate::bounds::check_tags("lookup tag", &self.inflight, &self.free).map_err(|e| format!("checker: {e}"))?;
        if let Some(d) = &self.dht {
            d.check_restored().map_err(|e| format!("checker: DHT: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc() -> Scenario {
        Scenario::parse("duration_s = 300\n[initial]\nnodes = 12\n", "t.toml", "t").expect("valid")
    }

    #[test]
    fn a_fresh_checker_passes() {
        assert_eq!(Checker::new(&sc()).check_restored(&sc()), Ok(()));
    }

    // postmortem: a forged successor list length (r ≈ 8·10^10) in the checker's state made the first
    // wrong list's reason allocate 1.9 TB of entries.
    #[test]
    fn settings_other_than_the_scenarios_are_refused() {
        let mut c = Checker::new(&sc());
        c.r = 80_000_000_000;
        assert!(c.check_restored(&sc()).unwrap_err().contains("settings"));
    }

    // postmortem: a forged free list named a lookup tag past the table; the next lookup started
    // indexed the table with it and panicked (checker.rs).
    #[test]
    fn free_tags_past_the_table_or_in_use_are_refused() {
        let mut c = Checker::new(&sc());
        c.free = vec![3];
        assert!(c.check_restored(&sc()).unwrap_err().contains("beyond the 0 allocated"));
        c.free.clear();
        let truth = crate::oracle::truth::Truth::default();
        let t = c.lookup_started(0, crate::id::Id(1), crate::protocol::msg::Addr(0), &truth);
        c.free = vec![t];
        assert!(c.check_restored(&sc()).unwrap_err().contains("carried by a message but free"));
    }
}

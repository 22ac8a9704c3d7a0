//! The checks a node restored from a checkpoint must pass before the simulator runs it.
//!
//! Owns: [`Node::check_restored`], the node's own invariants that its handlers rely on without a
//! bounds check (its identity against its slot, the identifier space, the finger table's layout, the
//! finger indices its RPCs carry, the proximity table's width). Addresses and ids are range-checked
//! while decoding ([`crate::bounds`]); this adds what needs the node's context.
//! Never: repair a node (a forged one is refused, not fixed), or run on the simulation's hot path.

use super::{Node, Waiting};
use crate::id::IdSpace;

impl Node {
    /// A node decoded from a checkpoint for slot `slot` of a run with identifier space `space`.
    pub fn check_restored(&self, slot: usize, space: IdSpace) -> Result<(), String> {
        if self.me.addr.0 as usize != slot {
            return Err(format!("the node in slot {slot} calls itself slot {}", self.me.addr.0));
        }
        if self.space != space {
            return Err(format!("node slot {slot} has {}-bit ids, the run {}", self.space.bits(), space.bits()));
        }
        let m = space.bits();
        self.fingers.check(m).map_err(|e| format!("node slot {slot}: fingers: {e}"))?;
        if self.next_finger > m {
            return Err(format!("node slot {slot}: next finger {} of {m}", self.next_finger));
        }
        let finger_ok = |i: u8| (1..=m).contains(&u32::from(i));
        for p in &self.pending {
            if let Waiting::FingerState(i) | Waiting::FingerProbe(i) = p.what
                && !finger_ok(i)
            {
                return Err(format!("node slot {slot}: an RPC for finger {i} of {m}"));
            }
        }
        if let Some(rtt) = &self.finger_rtt
            && rtt.len() != m as usize
        {
            return Err(format!("node slot {slot}: round trips of {} fingers, not {m}", rtt.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Node, Pending, Waiting};
    use crate::id::{Id, IdSpace};
    use crate::protocol::msg::{Addr, Peer};

    fn node() -> Node {
        let p = |x: u32| Peer { id: Id(u64::from(x) * 16), addr: Addr(x) };
        let mut n = Node::new(p(3), IdSpace::new(8));
        n.fingers.install(&[Some(p(4)), Some(p(4)), None, Some(p(5)), None, None, None, Some(p(1))]);
        n
    }

    #[test]
    fn a_node_as_built_passes() {
        assert_eq!(node().check_restored(3, IdSpace::new(8)), Ok(()));
    }

    #[test]
    fn identity_and_id_space_must_match_the_slot_and_the_run() {
        assert!(node().check_restored(4, IdSpace::new(8)).unwrap_err().contains("calls itself slot 3"));
        assert!(node().check_restored(3, IdSpace::new(16)).unwrap_err().contains("8-bit ids, the run 16"));
    }

    #[test]
    fn rpcs_for_fingers_outside_the_table_are_refused() {
        for i in [0u8, 9] {
            let mut n = node();
            n.pending.push(Pending {
                deadline: 10,
                to_id: Id(64),
                to_addr: Addr(4),
                req: 1,
                what: Waiting::FingerProbe(i),
            });
            assert!(n.check_restored(3, IdSpace::new(8)).unwrap_err().contains(&format!("finger {i} of 8")));
        }
        let mut n = node();
        n.finger_rtt = Some(vec![0; 7].into_boxed_slice());
        assert!(n.check_restored(3, IdSpace::new(8)).unwrap_err().contains("round trips of 7 fingers"));
    }
}

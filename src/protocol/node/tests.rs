//! Handler tests of the `ton03` variant: one message or timer in, the exact effects out
//! (harness in `harness.rs`).

use super::harness::*;
use super::*;
use crate::id::Id;
use crate::protocol::msg::{Effect, MSG_KINDS, Purpose};
use crate::protocol::options::Variant;

#[test]
fn notify_adopts_closer_predecessor_only() {
    let mut h = H::installed(Variant::Ton03);
    assert_eq!(h.msg(n(30), Msg::Notify), vec![]);
    assert_eq!(h.node.predecessor(), Some(n(50)), "30 is not in (50, 100)");
    assert_eq!(h.msg(n(70), Msg::Notify), vec![]);
    assert_eq!(h.node.predecessor(), Some(n(70)));
}

#[test]
fn notify_tells_old_predecessor_when_configured() {
    let mut h = H::installed(Variant::Ton03);
    h.p.notify_old_predecessor = true;
    assert_eq!(h.msg(n(70), Msg::Notify), vec![send(n(50), Msg::NewPredecessor { pred: n(70) })]);
}

#[test]
fn get_state_replies_with_predecessor_and_list() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.msg(n(50), Msg::GetState { req: 9 });
    let [Effect::Send { to, msg: Msg::StateReply { req: 9, pred, list } }] = fx[..] else { panic!("{fx:?}") };
    assert_eq!((to, pred), (n(50), Some(n(50))));
    assert_eq!(h.lists.get(list), &[n(120), n(150), n(200)]);
}

#[test]
fn stabilize_timer_asks_successor() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.timer(Timer::Stabilize);
    assert_eq!(
        fx,
        vec![
            Effect::SetTimer { after_us: 1000, timer: Timer::Stabilize },
            send(n(120), Msg::GetState { req: 0 }),
            rpc_timer(0),
        ]
    );
    // A second tick while the first is in flight only re-arms the timer.
    assert_eq!(h.timer(Timer::Stabilize), vec![Effect::SetTimer { after_us: 1000, timer: Timer::Stabilize }]);
}

/// `maintenance = "joint"`: one timer; stabilize every tick, `fix_fingers` every 2nd, `check_predecessor`
/// every 3rd.
#[test]
fn joint_maintenance_runs_three_tasks_from_one_timer() {
    let mut h = H::installed(Variant::Ton03);
    h.p.joint = Some((2, 3));
    h.p.finger_refresh = crate::protocol::options::FingerRefresh::OneIndexPerTick;
    let sent = |h: &mut H| -> Vec<&'static str> {
        let fx = h.timer(Timer::Maintain);
        assert_eq!(fx[0], Effect::SetTimer { after_us: 1000, timer: Timer::Maintain }, "re-armed first");
        let timers = fx.iter().filter(|e| matches!(e, Effect::SetTimer { timer: Timer::Maintain, .. })).count();
        assert_eq!(timers, 1, "no other periodic timer");
        fx.iter()
            .filter_map(|e| if let Effect::Send { msg, .. } = e { Some(MSG_KINDS[msg.kind()]) } else { None })
            .collect()
    };
    assert_eq!(sent(&mut h), ["get_state"]);
    assert_eq!(h.expire(), vec![send(n(150), Msg::GetState { req: 1 }), rpc_timer(1)], "failover as usual");
    h.node.install(Some(n(50)), &[n(120), n(150), n(200)], &[Some(n(120)); 8]);
    // Tick 2: stabilize still in flight; fix_fingers refreshes finger 1 locally (no message).
    assert_eq!(sent(&mut h), Vec::<&str>::new());
    assert_eq!(sent(&mut h), ["ping"], "tick 3: check_predecessor");
    h.expire(); // no pong: the predecessor is cleared; put it back
    h.node.install(Some(n(50)), &[n(120), n(150), n(200)], &[Some(n(120)); 8]);
    let _ = sent(&mut h); // tick 4
    let _ = sent(&mut h); // tick 5
    assert!(sent(&mut h).contains(&"ping"), "tick 6: check_predecessor again");
}

#[test]
fn state_reply_reconciles_and_adopts_closer_successor() {
    let mut h = H::installed(Variant::Ton03);
    h.timer(Timer::Stabilize);
    let list = h.lists.alloc(&[n(150), n(160), n(200)]);
    let fx = h.msg(n(120), Msg::StateReply { req: 0, pred: Some(n(110)), list });
    assert_eq!(fx, vec![send(n(110), Msg::Notify)]);
    assert_eq!(h.succ_ids(), vec![110, 120, 150], "x = 110 ∈ (100, 120) is prepended, list cut to r");
}

#[test]
fn state_reply_without_closer_predecessor_copies_list() {
    let mut h = H::installed(Variant::Ton03);
    h.timer(Timer::Stabilize);
    let list = h.lists.alloc(&[n(150), n(160), n(200)]);
    let fx = h.msg(n(120), Msg::StateReply { req: 0, pred: Some(n(100)), list });
    assert_eq!(fx, vec![send(n(120), Msg::Notify)]);
    assert_eq!(h.succ_ids(), vec![120, 150, 160]);
}

#[test]
fn successor_timeout_fails_over_and_restabilizes() {
    let mut h = H::installed(Variant::Ton03);
    h.timer(Timer::Stabilize);
    let fx = h.expire();
    assert_eq!(fx, vec![send(n(150), Msg::GetState { req: 1 }), rpc_timer(1)]);
    assert_eq!(h.succ_ids(), vec![150, 200]);
    assert!(h.node.fingers().iter().all(|f| *f != Some(n(120))), "dead node gone from fingers too");
    // The late answer of the presumed-dead node is ignored.
    let list = h.lists.alloc(&[]);
    assert_eq!(h.msg(n(120), Msg::StateReply { req: 0, pred: None, list }), vec![]);
}

#[test]
fn find_next_answers_owner_or_closest_preceding() {
    let mut h = H::installed(Variant::Ton03);
    let done = h.msg(n(1), Msg::FindNext { req: 4, key: Id(110), dead: None, user: true });
    assert_eq!(done, vec![send(n(1), Msg::FindNextReply { req: 4, done: true, node: n(120), user: true })]);
    // 180: closest preceding among fingers {120, 200, 10} and list {120, 150, 200} is 150.
    let next = h.msg(n(1), Msg::FindNext { req: 5, key: Id(180), dead: None, user: false });
    assert_eq!(next, vec![send(n(1), Msg::FindNextReply { req: 5, done: false, node: n(150), user: false })]);
    // Told that 150 is dead, the node forgets it and offers the next best.
    let retry = h.msg(n(1), Msg::FindNext { req: 6, key: Id(180), dead: Some(n(150)), user: false });
    assert_eq!(retry, vec![send(n(1), Msg::FindNextReply { req: 6, done: false, node: n(120), user: false })]);
    assert_eq!(h.succ_ids(), vec![120, 200]);
}

#[test]
fn check_predecessor_clears_dead_predecessor() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.timer(Timer::CheckPredecessor);
    assert_eq!(
        fx,
        vec![
            Effect::SetTimer { after_us: 3000, timer: Timer::CheckPredecessor },
            send(n(50), Msg::Ping { req: 0, user: false }),
            rpc_timer(0),
        ]
    );
    assert_eq!(h.expire(), vec![]);
    assert_eq!(h.node.predecessor(), None);
}

#[test]
fn lookup_walks_hops_then_contacts_owner() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.call(|node, ctx| node.start_lookup(ctx, Id(30), Purpose::User(7), None));
    // 30: closest preceding of 30 from 100 is finger 8 = 10.
    assert_eq!(fx, vec![send(n(10), Msg::FindNext { req: 0, key: Id(30), dead: None, user: true }), rpc_timer(0)]);
    let fx = h.msg(n(10), Msg::FindNextReply { req: 0, done: true, node: n(40), user: true });
    // The RPC check armed with the first request still covers this one: no new timer.
    assert_eq!(fx, vec![send(n(40), Msg::Ping { req: 1, user: true })]);
    let fx = h.msg(n(40), Msg::Pong { req: 1, user: true });
    assert_eq!(fx, vec![Effect::LookupDone { tag: 7, key: Id(30), owner: Some(n(40)), hops: 2, timeouts: 0 }]);
    assert_eq!(h.node.pending_rpcs(), 0);
}

#[test]
fn lookup_timeout_goes_back_to_referrer_with_the_dead_node() {
    let mut h = H::installed(Variant::Ton03);
    h.call(|node, ctx| node.start_lookup(ctx, Id(30), Purpose::User(1), None));
    h.msg(n(10), Msg::FindNextReply { req: 0, done: false, node: n(20), user: true });
    let fx = h.expire();
    assert_eq!(
        fx,
        vec![send(n(10), Msg::FindNext { req: 2, key: Id(30), dead: Some(n(20)), user: true }), rpc_timer(2)]
    );
    // The referrer answers; it was already counted as a hop, so the total stays honest.
    h.msg(n(10), Msg::FindNextReply { req: 2, done: true, node: n(40), user: true });
    let fx = h.msg(n(40), Msg::Pong { req: 3, user: true });
    assert_eq!(fx, vec![Effect::LookupDone { tag: 1, key: Id(30), owner: Some(n(40)), hops: 2, timeouts: 1 }]);
}

#[test]
fn join_through_bootstrap() {
    let mut h = H::fresh(130, Variant::Ton03);
    let fx = h.call(|node, ctx| node.join(ctx, n(100)));
    assert_eq!(fx, vec![send(n(100), Msg::FindNext { req: 0, key: Id(130), dead: None, user: false }), rpc_timer(0)]);
    // Fig. 5: the owner the bootstrap names is adopted unchecked.
    let fx = h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    assert_eq!(fx, vec![Effect::Joined]);
    assert!(h.node.is_joined());
    assert_eq!(h.succ_ids(), vec![150]);
}

#[test]
fn join_with_ping_owner_checks_the_owner_first() {
    let mut h = H::fresh(130, Variant::Ton03);
    h.p.ping_owner = true;
    h.call(|node, ctx| node.join(ctx, n(100)));
    let fx = h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    assert_eq!(fx, vec![send(n(150), Msg::Ping { req: 1, user: false })]);
    assert!(!h.node.is_joined());
    // A dead owner never answers: the join lookup fails instead of adopting it (Zave's Join check).
    let fx = h.expire();
    assert!(!h.node.is_joined() && !fx.contains(&Effect::Joined), "{fx:?}");
    h.node = crate::protocol::node::Node::new(n(130), h.p.space);
    h.call(|node, ctx| node.join(ctx, n(100)));
    h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    let fx = h.msg(n(150), Msg::Pong { req: 1, user: false });
    assert_eq!(fx, vec![Effect::Joined]);
    assert_eq!(h.succ_ids(), vec![150]);
}

#[test]
fn join_fails_when_bootstrap_is_silent() {
    let mut h = H::fresh(130, Variant::Ton03);
    h.call(|node, ctx| node.join(ctx, n(100)));
    assert_eq!(h.expire(), vec![Effect::JoinFailed]);
    assert!(!h.node.is_joined());
}

#[test]
fn graceful_leave_notifies_both_neighbours() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.call(super::Node::leave);
    assert_eq!(
        fx,
        vec![
            send(n(50), Msg::LeaveToPred { last: Some(n(200)) }),
            send(n(120), Msg::LeaveToSucc { pred: Some(n(50)) }),
        ]
    );
    assert_eq!(h.msg(n(50), Msg::Ping { req: 1, user: false }), vec![], "a departed node is silent");
}

#[test]
fn leave_messages_update_neighbours() {
    let mut h = H::installed(Variant::Ton03);
    h.msg(n(120), Msg::LeaveToPred { last: Some(n(220)) });
    assert_eq!(h.succ_ids(), vec![150, 200, 220]);
    h.msg(n(50), Msg::LeaveToSucc { pred: Some(n(40)) });
    assert_eq!(h.node.predecessor(), Some(n(40)));
}

#[test]
fn fix_fingers_sets_near_fingers_locally_and_looks_up_the_next() {
    let mut h = H::installed(Variant::Ton03);
    let fx = h.timer(Timer::FixFingers);
    // Fingers 1–5 (starts 101..116) lie in (100, 120]: set locally; finger 6 (start 132) needs a lookup,
    // whose first hop is the closest preceding node of 132: 120.
    assert_eq!(
        fx,
        vec![
            Effect::SetTimer { after_us: 2000, timer: Timer::FixFingers },
            send(n(120), Msg::FindNext { req: 0, key: Id(132), dead: None, user: false }),
            rpc_timer(0),
        ]
    );
}

#[test]
fn one_index_per_tick_refreshes_one_finger_per_tick() {
    let mut h = H::installed(Variant::Ton03);
    h.p.finger_refresh = crate::protocol::options::FingerRefresh::OneIndexPerTick;
    // Fingers 1–5 (starts 101..116) lie in (100, 120]: each tick sets one of them locally, no message.
    for _ in 1..=5 {
        assert_eq!(h.timer(Timer::FixFingers), vec![Effect::SetTimer { after_us: 2000, timer: Timer::FixFingers }]);
    }
    // Finger 6 (start 132) needs a lookup, whose first hop is the closest preceding node of 132: 120.
    assert_eq!(
        h.timer(Timer::FixFingers),
        vec![
            Effect::SetTimer { after_us: 2000, timer: Timer::FixFingers },
            send(n(120), Msg::FindNext { req: 0, key: Id(132), dead: None, user: false }),
            rpc_timer(0),
        ]
    );
}

#[test]
fn one_rpc_check_covers_every_deadline() {
    let mut h = H::installed(Variant::Ton03);
    h.timer(Timer::Stabilize); // GetState req 0 at t = 0: deadline 100, check armed for 100
    h.now = 50;
    let fx = h.timer(Timer::CheckPredecessor); // Ping req 1 at t = 50: deadline 150
    assert_eq!(fx[1..], [send(n(50), Msg::Ping { req: 1, user: false })], "no second check armed");
    h.now = 0;
    let fx = h.expire(); // t = 100: only req 0 is due; the successor is dropped and the next one asked
    assert_eq!(
        fx,
        vec![send(n(150), Msg::GetState { req: 2 }), Effect::SetTimer { after_us: 50, timer: Timer::RpcCheck }]
    );
    assert_eq!(h.node.predecessor(), Some(n(50)), "req 1 is not due yet");
    h.now = 50;
    h.expire(); // t = 150: req 1 (ping to the predecessor) times out
    assert_eq!(h.node.predecessor(), None);
}

#[test]
fn answering_from_the_successor_list_is_an_option() {
    // 160 lies within the list [120, 150, 200]: Fig. 5 forwards to 150, the option answers 200 at once.
    let mut h = H::installed(Variant::Ton03);
    let next = h.msg(n(1), Msg::FindNext { req: 1, key: Id(160), dead: None, user: false });
    assert_eq!(next, vec![send(n(1), Msg::FindNextReply { req: 1, done: false, node: n(150), user: false })]);
    let node = std::mem::replace(&mut h.node, Node::new(n(0), h.p.space));
    h.node = node.answering_from_list(true);
    let done = h.msg(n(1), Msg::FindNext { req: 2, key: Id(160), dead: None, user: false });
    assert_eq!(done, vec![send(n(1), Msg::FindNextReply { req: 2, done: true, node: n(200), user: false })]);
}

#[test]
fn one_per_stabilize_refreshes_the_next_finger_that_needs_a_lookup() {
    let mut h = H::installed(Variant::Ton03);
    h.p.finger_refresh = crate::protocol::options::FingerRefresh::OnePerStabilize;
    // Stabilization asks the successor; fingers 1–5 lie in (100, 120] and are set on the way; finger 6
    // (start 132) is the "one other entry" this step refreshes, by a lookup whose first hop is 120.
    let fx = h.timer(Timer::Stabilize);
    assert_eq!(
        fx,
        vec![
            Effect::SetTimer { after_us: 1000, timer: Timer::Stabilize },
            send(n(120), Msg::GetState { req: 0 }),
            rpc_timer(0),
            send(n(120), Msg::FindNext { req: 1, key: Id(132), dead: None, user: false }),
        ]
    );
    // The next step goes on with finger 7 (start 164 → closest preceding node 150).
    let list = h.lists.alloc(&[n(150), n(200)]);
    h.msg(n(120), Msg::StateReply { req: 0, pred: Some(n(100)), list });
    let fx = h.timer(Timer::Stabilize);
    assert!(fx.contains(&send(n(150), Msg::FindNext { req: 3, key: Id(164), dead: None, user: false })), "{fx:?}");
}

#[test]
fn all_per_stabilize_looks_up_every_finger_beyond_the_successor() {
    let mut h = H::installed(Variant::Ton03);
    h.p.finger_refresh = crate::protocol::options::FingerRefresh::AllPerStabilize;
    let fx = h.timer(Timer::Stabilize);
    let keys: Vec<u64> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send { msg: Msg::FindNext { key, .. }, .. } => Some(key.0),
            _ => None,
        })
        .collect();
    assert_eq!(keys, vec![132, 164, 228], "fingers 6, 7, 8; fingers 1–5 equal the successor");
}

#[test]
fn without_retries_a_timed_out_hop_fails_the_lookup() {
    let mut h = H::installed(Variant::Ton03);
    h.p.lookup_retries = false;
    h.call(|node, ctx| node.start_lookup(ctx, Id(30), Purpose::User(1), None));
    h.msg(n(10), Msg::FindNextReply { req: 0, done: false, node: n(20), user: true });
    let fx = h.expire();
    assert_eq!(fx, vec![Effect::LookupDone { tag: 1, key: Id(30), owner: None, hops: 1, timeouts: 1 }]);
    assert_eq!(h.node.pending_rpcs(), 0);
}

#[test]
fn stabilize_on_join_asks_the_new_successor_at_once() {
    let mut h = H::fresh(130, Variant::Ton03);
    h.p.stabilize_on_join = true;
    h.call(|node, ctx| node.join(ctx, n(100)));
    let fx = h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    assert_eq!(fx, vec![Effect::Joined, send(n(150), Msg::GetState { req: 1 })]);
}

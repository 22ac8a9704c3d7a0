//! Handler tests for the `zave` variant (TSE'17 Sec. III): one message in, exact effects out.

use super::harness::*;
use super::*;
use crate::id::Id;
use crate::protocol::msg::Effect;
use crate::protocol::options::Variant;

#[test]
fn stabilize_from_successor_then_from_predecessor_checks_before_adopting() {
    let mut h = H::installed(Variant::Zave);
    assert_eq!(h.call(super::Node::stabilize), vec![send(n(120), Msg::GetState { req: 0 }), rpc_timer(0)]);
    let l = h.lists.alloc(&[n(150), n(160), n(200)]);
    // 120's predecessor 110 ∈ (100, 120): query it before adopting it (no pointer to it yet).
    let fx = h.msg(n(120), Msg::StateReply { req: 0, pred: Some(n(110)), list: l });
    assert_eq!(fx, vec![send(n(110), Msg::GetState { req: 1 })], "the armed RPC check covers it");
    assert_eq!(h.succ(), vec![n(120), n(150), n(160)]);
    let l = h.lists.alloc(&[n(120), n(150), n(160)]);
    let fx = h.msg(n(110), Msg::StateReply { req: 1, pred: Some(n(100)), list: l });
    assert_eq!(fx, vec![send(n(110), Msg::Notify)]);
    assert_eq!(h.succ(), vec![n(110), n(120), n(150)]);
}

#[test]
fn dead_candidate_successor_is_never_adopted() {
    let mut h = H::installed(Variant::Zave);
    h.call(super::Node::stabilize);
    let l = h.lists.alloc(&[n(150), n(160), n(200)]);
    h.msg(n(120), Msg::StateReply { req: 0, pred: Some(n(110)), list: l });
    // 110 does not answer: no change, and the stabilization ends by notifying the head.
    let fx = h.expire();
    assert_eq!(fx, vec![send(n(120), Msg::Notify)]);
    assert_eq!(h.succ(), vec![n(120), n(150), n(160)]);
}

#[test]
fn dead_head_is_replaced_by_tail_plus_pad_and_stabilization_repeats() {
    let mut h = H::installed(Variant::Zave);
    h.call(super::Node::stabilize);
    let fx = h.expire();
    assert_eq!(fx, vec![send(n(150), Msg::GetState { req: 1 }), rpc_timer(1)]);
    assert_eq!(h.succ(), vec![n(150), n(200), Peer::pad(Id(201))]);
    assert_eq!(h.succ().len(), 3, "lists stay full-length");
}

#[test]
fn busy_node_answers_state_queries_with_busy_but_pings_normally() {
    let mut h = H::installed(Variant::Zave);
    h.call(super::Node::stabilize);
    assert_eq!(h.msg(n(50), Msg::GetState { req: 7 }), vec![send(n(50), Msg::Busy { req: 7 })]);
    assert_eq!(h.msg(n(50), Msg::Ping { req: 8, user: false }), vec![send(n(50), Msg::Pong { req: 8, user: false })]);
    // Our own query gets Busy: the stabilization is aborted, nothing changes, a retry is armed.
    assert_eq!(h.msg(n(120), Msg::Busy { req: 0 }), vec![busy_retry(1)]);
    assert_eq!(h.succ(), vec![n(120), n(150), n(200)]);
}

fn busy_retry(after_us: u64) -> Effect {
    Effect::SetTimer { after_us, timer: Timer::BusyRetry }
}

/// Busy again and again: the retry window doubles from one RPC timeout up to the stabilize period;
/// an answered stabilization ends the streak. (Lockstep livelock fix, issue 14: zave-lockstep.toml.)
#[test]
fn busy_stabilization_backs_off_exponentially_and_retries_from_the_successor() {
    let mut h = H::installed(Variant::Zave);
    let mut req = 0;
    let mut windows = Vec::new();
    for _ in 0..6 {
        h.call(super::Node::stabilize);
        // entropy 7999 ≡ −1 mod every window: it draws the top of each window.
        let mut fx = Vec::new();
        h.out.clear();
        let mut ctx = Ctx { now: h.now, params: &h.p, entropy: 7999, lists: &mut h.lists, out: &mut fx };
        h.node.on_message(&mut ctx, n(120), Msg::Busy { req });
        let [Effect::SetTimer { after_us, timer: Timer::BusyRetry }] = fx[..] else { panic!("{fx:?}") };
        windows.push(after_us);
        req += 1;
    }
    // 100, 200, 400, 800 µs, then capped by the 1000 µs stabilize period.
    assert_eq!(windows, vec![100, 200, 400, 800, 1000, 1000]);
    // The retry starts StabilizeFromSuccessor again.
    let fx = h.timer(Timer::BusyRetry);
    assert_eq!(fx[0], send(n(120), Msg::GetState { req }));
    let l = h.lists.alloc(&[n(150), n(200), n(210)]);
    h.msg(n(120), Msg::StateReply { req, pred: Some(n(100)), list: l });
    h.call(super::Node::stabilize);
    assert_eq!(h.msg(n(120), Msg::Busy { req: req + 1 }), vec![busy_retry(1)], "streak reset: window 100");
}

#[test]
fn rectify_adopts_closer_at_once_and_checks_the_old_predecessor_otherwise() {
    let mut h = H::installed(Variant::Zave);
    assert_eq!(h.msg(n(70), Msg::Notify), vec![]);
    assert_eq!(h.node.predecessor(), Some(n(70)));
    // 30 is not in (70, 100): ping 70 first; adopt 30 only if 70 is dead.
    assert_eq!(h.msg(n(30), Msg::Notify), vec![send(n(70), Msg::Ping { req: 0, user: false }), rpc_timer(0)]);
    assert_eq!(h.node.predecessor(), Some(n(70)));
    h.expire();
    assert_eq!(h.node.predecessor(), Some(n(30)));
}

#[test]
fn join_goes_through_the_predecessor_and_copies_its_list() {
    let mut h = H::fresh(130, Variant::Zave);
    h.call(|nd, c| nd.join(c, n(100)));
    // 100 answers "done": 130 ∈ (100, 150]. Zave's join queries 100 (the predecessor), not 150.
    let fx = h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    assert_eq!(fx, vec![send(n(100), Msg::GetState { req: 1 })], "the armed RPC check covers it");
    let l = h.lists.alloc(&[n(150), n(200), n(10)]);
    let fx = h.msg(n(100), Msg::StateReply { req: 1, pred: Some(n(50)), list: l });
    assert_eq!(fx, vec![Effect::Joined]);
    assert_eq!(h.succ(), vec![n(150), n(200), n(10)]);
    assert_eq!(h.node.predecessor(), Some(n(100)));
}

#[test]
fn join_retries_when_the_predecessor_moved_on() {
    let mut h = H::fresh(130, Variant::Zave);
    h.call(|nd, c| nd.join(c, n(100)));
    h.msg(n(100), Msg::FindNextReply { req: 0, done: true, node: n(150), user: false });
    // Meanwhile 120 joined after 100: 130 ∉ (100, 120).
    let l = h.lists.alloc(&[n(120), n(150), n(200)]);
    assert_eq!(h.msg(n(100), Msg::StateReply { req: 1, pred: Some(n(50)), list: l }), vec![Effect::JoinFailed]);
    assert!(!h.node.is_joined());
}

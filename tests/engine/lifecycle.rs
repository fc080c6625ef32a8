//! SPEC rules 18-19: stop (a poison pill) versus kill, children stopping
//! before their parent, youngest first, and ctx.stop().

use rehearsal::{
    Actor, ActorId, Addr, Config, Context, DeadLetterReason, EventKind, Handled, RunOutcome, StopReason, Strategy,
    System,
};
use rehearsal_tests::{Log, Recorder};

fn stops(sys: &System) -> Vec<(ActorId, StopReason)> {
    sys.events()
        .filter_map(|e| match &e.kind {
            EventKind::Stop { actor, reason } => Some((*actor, reason.clone())),
            _ => None,
        })
        .collect()
}

fn dead(sys: &System, reason: DeadLetterReason) -> Vec<u64> {
    sys.dead_letters().iter().filter(|d| d.reason == reason).map(|d| d.msg.0).collect()
}

#[test]
fn stop_handles_earlier_messages_then_post_stop() {
    for strategy in [Strategy::Random, Strategy::PCT, Strategy::Fifo] {
        let log = Log::new();
        let mut sys = System::new(Config::seeded(1).strategy(strategy));
        let a = sys.spawn("a", Recorder::new("a", &log));
        sys.send(a, 1);
        sys.send(a, 2);
        sys.stop(a);
        let m3 = sys.send(a, 3);
        let m4 = sys.send(a, 4);
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        assert_eq!(log.entries(), ["a:1", "a:2", "a:post_stop"], "{strategy}");
        assert!(!sys.is_alive(a));
        assert_eq!(sys.mailbox_len(a), None);
        assert_eq!(
            dead(&sys, DeadLetterReason::PendingAtStop),
            vec![m3.0, m4.0],
            "{strategy}: the messages behind the pill"
        );
        assert_eq!(stops(&sys), vec![(a.id(), StopReason::Normal)]);

        // Afterwards: a send is a dead letter `no_recipient`.
        let m5 = sys.send(a, 5);
        assert_eq!(dead(&sys, DeadLetterReason::NoRecipient), vec![m5.0]);
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        assert_eq!(log.entries().len(), 3);
        assert!(sys.stats().conserved());
    }
}

#[test]
fn kill_runs_no_hooks_and_dead_letters_the_mailbox() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(2));
    let a = sys.spawn("a", Recorder::new("a", &log));
    let m1 = sys.send(a, 1);
    assert_eq!(sys.step(), rehearsal::Step::Delivered(a.id()));
    assert_eq!(log.entries(), ["a:1"]);
    let queued: Vec<u64> = (2..6).map(|n| sys.send(a, n).0).collect();
    sys.stop(a); // a poison pill queued: the kill does not wait for it
    sys.kill(a);
    assert!(!sys.is_alive(a), "kill acts at once");
    assert_eq!(log.entries(), ["a:1"], "no post_stop, nothing else handled");
    let pending = dead(&sys, DeadLetterReason::PendingAtStop);
    assert_eq!(&pending[..4], &queued[..], "every queued message is a dead letter");
    assert_eq!(pending.len(), 5, "the poison pill too");
    assert!(!pending.contains(&m1.0));
    assert_eq!(stops(&sys), vec![(a.id(), StopReason::Killed)]);
    let kills: Vec<_> =
        sys.events().filter(|e| matches!(e.kind, EventKind::Kill { actor, by: None } if actor == a.id())).collect();
    assert_eq!(kills.len(), 1);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    // Killing again is a no-op.
    sys.kill(a);
    assert_eq!(stops(&sys).len(), 1);
    assert!(sys.stats().conserved());
}

/// A parent that spawns children in pre_start; child 1 has a child itself.
struct Parent {
    log: Log,
    name: String,
    children: Vec<Addr<Tree>>,
    depth: u32,
}

#[derive(Debug)]
pub enum Tree {
    Ping,
    StopSelf,
    KillSelf,
}

impl Actor for Parent {
    type Msg = Tree;
    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        if self.depth < 2 {
            for i in 0..3 {
                if self.depth == 1 && i > 0 {
                    break;
                }
                let name = format!("{}.{i}", self.name);
                let child = ctx.spawn(
                    &name,
                    Parent { log: self.log.clone(), name: name.clone(), children: Vec::new(), depth: self.depth + 1 },
                );
                self.children.push(child);
            }
        }
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Tree) -> Handled {
        self.log.push(format!("{} {msg:?}", self.name));
        match msg {
            Tree::Ping => {}
            Tree::StopSelf => {
                ctx.stop();
                self.log.push(format!("{} after stop()", self.name));
            }
            Tree::KillSelf => ctx.kill(ctx.addr()),
        }
        Ok(())
    }

    fn post_stop(&mut self, _ctx: &mut Context<'_, Self>) {
        self.log.push(format!("{} post_stop", self.name));
    }
}

fn tree(sys: &mut System, log: &Log) -> (Addr<Tree>, Vec<Addr<Tree>>) {
    // root -> root.0 -> root.0.0, root.1 -> root.1.0, root.2 -> root.2.0
    let root = sys.spawn("root", Parent { log: log.clone(), name: "root".into(), children: Vec::new(), depth: 0 });
    let children = sys.state(root, |p: &Parent| p.children.clone()).expect("alive");
    assert_eq!(children.len(), 3);
    assert_eq!(sys.actor_count(), 7);
    (root, children)
}

fn names(sys: &System) -> Vec<(ActorId, String)> {
    sys.events()
        .filter_map(|e| match &e.kind {
            EventKind::Spawn { actor, name, .. } => Some((*actor, name.to_string())),
            _ => None,
        })
        .collect()
}

fn stop_order(sys: &System) -> Vec<(String, StopReason)> {
    let names = names(sys);
    stops(sys)
        .into_iter()
        .map(|(id, r)| {
            let n = names.iter().find(|(a, _)| *a == id).map(|(_, n)| n.clone()).expect("spawned");
            (n, r)
        })
        .collect()
}

#[test]
fn children_stop_before_parent_youngest_first() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(3));
    let (root, children) = tree(&mut sys, &log);
    sys.send(root, Tree::Ping);
    for &c in &children {
        sys.send(c, Tree::Ping);
    }
    sys.stop(root);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let s = |n: &str, r: StopReason| (n.to_string(), r);
    assert_eq!(
        stop_order(&sys),
        vec![
            s("root.2.0", StopReason::Shutdown),
            s("root.2", StopReason::Shutdown),
            s("root.1.0", StopReason::Shutdown),
            s("root.1", StopReason::Shutdown),
            s("root.0.0", StopReason::Shutdown),
            s("root.0", StopReason::Shutdown),
            s("root", StopReason::Normal),
        ]
    );
    let post_stops: Vec<String> = log.entries().into_iter().filter(|e| e.ends_with("post_stop")).collect();
    assert_eq!(
        post_stops,
        [
            "root.2.0 post_stop",
            "root.2 post_stop",
            "root.1.0 post_stop",
            "root.1 post_stop",
            "root.0.0 post_stop",
            "root.0 post_stop",
            "root post_stop"
        ]
    );
    assert_eq!(sys.actor_count(), 0);
    assert!(sys.stats().conserved());
}

#[test]
fn kill_takes_the_children_too_without_hooks() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(4));
    let (root, children) = tree(&mut sys, &log);
    for &c in &children {
        sys.send(c, Tree::Ping);
    }
    sys.kill(root);
    assert_eq!(sys.actor_count(), 0);
    assert!(log.entries().iter().all(|e| !e.ends_with("post_stop")));
    let order = stop_order(&sys);
    let names: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["root.2.0", "root.2", "root.1.0", "root.1", "root.0.0", "root.0", "root"]);
    assert!(order.iter().all(|(_, r)| *r == StopReason::Killed));
    assert_eq!(dead(&sys, DeadLetterReason::PendingAtStop).len(), 3);
    assert!(sys.stats().conserved());
}

#[test]
fn ctx_stop_inside_a_handler() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(5));
    let (_root, children) = tree(&mut sys, &log);
    let c1 = children[1];
    sys.send(c1, Tree::Ping);
    sys.send(c1, Tree::StopSelf);
    let behind = sys.send(c1, Tree::Ping);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(
        log.entries(),
        [
            "root.1 Ping",
            "root.1 StopSelf",
            // The handler runs to its end; the stop follows it.
            "root.1 after stop()",
            "root.1.0 post_stop",
            "root.1 post_stop",
        ]
    );
    assert_eq!(dead(&sys, DeadLetterReason::PendingAtStop), vec![behind.0]);
    assert_eq!(
        stop_order(&sys),
        vec![("root.1.0".to_string(), StopReason::Shutdown), ("root.1".to_string(), StopReason::Normal),]
    );
    assert_eq!(sys.actor_count(), 5, "the siblings and the parent live on");
}

#[test]
fn ctx_kill_of_itself_inside_a_handler() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(6));
    let (_root, children) = tree(&mut sys, &log);
    let c0 = children[0];
    sys.send(c0, Tree::KillSelf);
    sys.send(c0, Tree::Ping);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(log.entries(), ["root.0 KillSelf"]);
    assert_eq!(
        stop_order(&sys),
        vec![("root.0.0".to_string(), StopReason::Killed), ("root.0".to_string(), StopReason::Killed),]
    );
    assert_eq!(dead(&sys, DeadLetterReason::PendingAtStop).len(), 1);
}

/// Stopping a child from its parent's handler by poison pill, the parent
/// handling messages meanwhile: the child handles what was sent before.
#[test]
fn stop_actor_from_another_actor() {
    struct Boss {
        worker: Addr<u32>,
    }
    impl Actor for Boss {
        type Msg = ();
        fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Handled {
            ctx.send(self.worker, 1);
            ctx.send(self.worker, 2);
            ctx.stop_actor(self.worker);
            ctx.send(self.worker, 3);
            Ok(())
        }
    }
    for seed in 0..10 {
        let log = Log::new();
        let mut sys = System::new(Config::seeded(seed));
        let worker = sys.spawn("worker", Recorder::new("w", &log));
        let boss = sys.spawn("boss", Boss { worker });
        sys.send(boss, ());
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        assert_eq!(log.entries(), ["w:1", "w:2", "w:post_stop"], "seed {seed}");
        let pending: Vec<_> =
            sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::PendingAtStop).collect();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].from, Some(boss.id()));
    }
}

/// A message of another type than the recipient's.
struct Texter;

impl rehearsal::Actor for Texter {
    type Msg = String;
    fn handle(&mut self, _ctx: &mut rehearsal::Context<'_, Self>, _s: String) -> rehearsal::Handled {
        Ok(())
    }
}

#[test]
fn an_address_from_another_system_is_a_dead_letter_not_a_panic() {
    use rehearsal::{Config, DeadLetterReason, MailboxConfig, Overflow, System};
    let mut a = System::new(Config::seeded(1));
    let mut b = System::new(Config::seeded(1));
    let text = a.spawn("t", Texter);
    let log = rehearsal_tests::Log::new();
    let n = b.spawn_with("n", rehearsal_tests::Recorder::new("n", &log), MailboxConfig::bounded(2, Overflow::Block));
    // `text` (a String address of system a) has the same slot and id as b's u32 actor.
    b.send(text, "hello".to_string());
    b.send(n, 7);
    b.send(n, 8);
    // Now n's mailbox is full: the overflow path meets the stranger too.
    b.send(text, "again".to_string());
    assert_eq!(b.stats().dead(DeadLetterReason::NoRecipient), 2);
    assert_eq!(b.run_until_idle(), rehearsal::RunOutcome::Idle);
    assert_eq!(log.entries(), ["n:7", "n:8"]);
    assert!(b.stats().conserved());
}

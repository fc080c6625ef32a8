//! A supervision tree described as data, built into a running system, driven
//! by a fault schedule, and observed through a hook log and the trace.
//!
//! Cases serialize to JSON so a failing property prints the one command that
//! replays that exact case.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use rehearsal::supervision::{RestartType, Strategy};
use rehearsal::{
    Actor, ActorId, Addr, ChildSpec, Config, Context, Directive, Event, EventKind, Handled, MsgId, StopReason,
    SupervisorMsg, SupervisorSpec, System,
};
use serde::{Deserialize, Serialize};

/// A node of a supervision tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// A worker.
    Worker {
        /// Its restart type.
        restart: RestartType,
    },
    /// A supervisor.
    Sup {
        /// Its strategy.
        strategy: Strategy,
        /// Its intensity.
        intensity: u32,
        /// Its period.
        period: u64,
        /// Its restart type (ignored at the root).
        restart: RestartType,
        /// Its children, in spec order.
        children: Vec<Node>,
    },
}

/// One operation of a fault schedule, applied at its own tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Send worker `w` (index into the workers, modulo their number) a unit of work.
    Work(usize),
    /// Worker `w` crashes at its `n`-th message from now on (counted across incarnations).
    CrashAt(usize, u32),
    /// Send worker `w` a message whose handler panics at once.
    Crash(usize),
    /// Kill worker `w`.
    Kill(usize),
    /// Worker `w` stops itself (a normal exit).
    Exit(usize),
    /// Let `n` ticks of virtual time pass.
    Wait(u64),
}

/// A whole case: tree, schedule, seed, and whether the decider resumes
/// failures whose text says "resume".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The root supervisor.
    pub root: Node,
    /// The fault schedule.
    pub ops: Vec<Op>,
    /// The seed.
    pub seed: u64,
    /// Failures whose reason contains "resume" are resumed instead of restarted.
    pub resume: bool,
}

/// What an actor did, as its hooks and handler saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hook {
    PreStart,
    PostStop,
    PreRestart,
    PostRestart,
    /// Handled work unit `seq`; `count` is this incarnation's handled count after it.
    Handle {
        seq: u64,
        count: u64,
    },
}

/// One entry of the hook log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub id: ActorId,
    pub incarnation: u32,
    pub step: u64,
    pub hook: Hook,
}

#[derive(Default)]
pub struct Shared {
    pub log: Vec<Entry>,
    /// Per worker name: the message counts (across incarnations) at which it crashes.
    pub crash_at: BTreeMap<String, BTreeSet<u32>>,
    /// Per worker name: messages handled across incarnations.
    pub total: BTreeMap<String, u32>,
}

pub type SharedRef = Rc<RefCell<Shared>>;

#[derive(Debug)]
pub enum WorkerMsg {
    Work(u64),
    Crash(bool),
    Exit,
}

/// Watches actors; workers tell it about their work.
pub struct Watcher {
    /// Downs received, in order.
    pub downs: Vec<rehearsal::Down>,
}

/// A worker's note to the watcher.
#[derive(Debug)]
pub struct Note(#[allow(dead_code)] pub u64);

impl Actor for Watcher {
    type Msg = Note;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _note: Note) -> Handled {
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: rehearsal::Down) -> Handled {
        self.downs.push(down);
        Ok(())
    }
}

pub struct Worker {
    name: String,
    shared: SharedRef,
    watcher: Addr<Note>,
    /// Work units handled by this incarnation.
    pub count: u64,
}

impl Worker {
    fn log(&self, ctx: &Context<'_, Self>, hook: Hook) {
        self.shared.borrow_mut().log.push(Entry {
            name: self.name.clone(),
            id: ctx.id(),
            incarnation: ctx.incarnation(),
            step: ctx.step(),
            hook,
        });
    }
}

impl Actor for Worker {
    type Msg = WorkerMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: WorkerMsg) -> Handled {
        match msg {
            WorkerMsg::Work(seq) => {
                let crash = {
                    let mut sh = self.shared.borrow_mut();
                    let total = sh.total.entry(self.name.clone()).or_default();
                    *total += 1;
                    let t = *total;
                    sh.crash_at.get(&self.name).is_some_and(|s| s.contains(&t))
                };
                if crash {
                    panic!("crash at message {seq}");
                }
                self.count += 1;
                self.log(ctx, Hook::Handle { seq, count: self.count });
                ctx.send(self.watcher, Note(seq));
            }
            WorkerMsg::Crash(resume) => {
                if resume {
                    panic!("crash, resume please");
                }
                panic!("crash");
            }
            WorkerMsg::Exit => ctx.stop(),
        }
        Ok(())
    }

    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        self.log(ctx, Hook::PreStart);
        Ok(())
    }

    fn post_stop(&mut self, ctx: &mut Context<'_, Self>) {
        self.log(ctx, Hook::PostStop);
    }

    fn pre_restart(&mut self, ctx: &mut Context<'_, Self>, _reason: &StopReason, _msg: Option<MsgId>) {
        self.log(ctx, Hook::PreRestart);
    }

    fn post_restart(&mut self, ctx: &mut Context<'_, Self>, _reason: &StopReason) -> Handled {
        self.log(ctx, Hook::PostRestart);
        Ok(())
    }
}

/// The static shape of a built tree: every node's name, kind and spec.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Every node by name.
    pub nodes: BTreeMap<String, NodeInfo>,
    /// Worker names, in depth-first order.
    pub workers: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub parent: Option<String>,
    pub restart: RestartType,
    pub sup: Option<(Strategy, u32, u64)>,
}

fn child_name(parent: &str, i: usize) -> String {
    format!("{parent}.{i}")
}

fn shape_of(node: &Node, name: &str, parent: Option<&str>, restart: RestartType, shape: &mut Shape) {
    match node {
        Node::Worker { .. } => {
            shape.workers.push(name.to_string());
            shape.nodes.insert(name.into(), NodeInfo { parent: parent.map(Into::into), restart, sup: None });
        }
        Node::Sup { strategy, intensity, period, children, .. } => {
            let names: Vec<String> = (0..children.len()).map(|i| child_name(name, i)).collect();
            shape.nodes.insert(
                name.into(),
                NodeInfo { parent: parent.map(Into::into), restart, sup: Some((*strategy, *intensity, *period)) },
            );
            for (c, n) in children.iter().zip(&names) {
                let r = match c {
                    Node::Worker { restart } | Node::Sup { restart, .. } => *restart,
                };
                shape_of(c, n, Some(name), r, shape);
            }
        }
    }
}

fn spec_of(node: &Node, resume: bool) -> SupervisorSpec {
    let Node::Sup { strategy, intensity, period, .. } = node else { unreachable!("spec_of a supervisor") };
    let spec = SupervisorSpec::new(*strategy).intensity(*intensity, *period);
    if resume {
        spec.decider(|why| if why.contains("resume") { Directive::Resume } else { Directive::Restart })
    } else {
        spec
    }
}

fn child_specs(node: &Node, name: &str, shared: &SharedRef, watcher: Addr<Note>, resume: bool) -> Vec<ChildSpec> {
    let Node::Sup { children, .. } = node else { return vec![] };
    children
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = child_name(name, i);
            match c {
                Node::Worker { restart } => {
                    let shared = shared.clone();
                    let wname = n.clone();
                    ChildSpec::new(&n, move || Worker {
                        name: wname.clone(),
                        shared: shared.clone(),
                        watcher,
                        count: 0,
                    })
                    .restart(*restart)
                }
                Node::Sup { restart, .. } => {
                    let (c2, n2, sh2) = (c.clone(), n.clone(), shared.clone());
                    ChildSpec::supervisor(&n, spec_of(c, resume), move || child_specs(&c2, &n2, &sh2, watcher, resume))
                        .restart(*restart)
                }
            }
        })
        .collect()
}

/// A case built and run.
pub struct Run {
    pub sys: System,
    pub root: Addr<SupervisorMsg>,
    pub shape: Shape,
    pub shared: SharedRef,
    /// Work units sent: seq → worker name.
    pub sent: BTreeMap<u64, String>,
}

pub const ROOT: &str = "r";

impl Run {
    /// Builds the tree and applies the schedule, running to idle after each op.
    pub fn new(case: &Case) -> Run {
        let shared: SharedRef = Rc::default();
        let mut shape = Shape { nodes: BTreeMap::new(), workers: vec![] };
        shape_of(&case.root, ROOT, None, RestartType::Permanent, &mut shape);
        let mut sys = System::new(Config::seeded(case.seed).max_steps(200_000));
        let watcher = sys.spawn("watcher", Watcher { downs: vec![] });
        let (root_node, sh, resume) = (case.root.clone(), shared.clone(), case.resume);
        let root = sys.spawn_supervisor(ROOT, spec_of(&case.root, case.resume), move || {
            child_specs(&root_node, ROOT, &sh, watcher, resume)
        });
        let mut run = Run { sys, root, shape, shared, sent: BTreeMap::new() };
        // The watcher monitors every actor of the first tree.
        let names: Vec<String> = run.shape.nodes.keys().cloned().collect();
        for name in names {
            if run.shape.nodes[&name].sup.is_some() {
                if let Some(s) = run.sup(&name) {
                    run.sys.monitor(watcher, s);
                }
            } else if let Some(w) = run.worker(&name) {
                run.sys.monitor(watcher, w);
            }
        }
        let mut seq = 0;
        for op in &case.ops {
            run.apply(*op, &mut seq);
            let _ = run.sys.run_until_idle();
            let _ = run.sys.run_for(1);
        }
        run
    }

    /// The live supervisor above `name`, walking down from the root.
    fn parent_of(&self, name: &str) -> Option<Addr<SupervisorMsg>> {
        let mut path = vec![];
        let mut cur = name.to_string();
        while let Some(p) = self.shape.nodes.get(&cur).and_then(|n| n.parent.clone()) {
            path.push(p.clone());
            cur = p;
        }
        path.reverse();
        let mut sup = self.root;
        for n in path.iter().skip(1) {
            sup = self.sys.child::<SupervisorMsg>(sup, n)?;
        }
        Some(sup)
    }

    /// The live address of worker `name`.
    pub fn worker(&self, name: &str) -> Option<Addr<WorkerMsg>> {
        self.sys.child::<WorkerMsg>(self.parent_of(name)?, name)
    }

    /// The live address of supervisor `name`.
    pub fn sup(&self, name: &str) -> Option<Addr<SupervisorMsg>> {
        if name == ROOT {
            return Some(self.root);
        }
        self.sys.child::<SupervisorMsg>(self.parent_of(name)?, name)
    }

    fn apply(&mut self, op: Op, seq: &mut u64) {
        if self.shape.workers.is_empty() {
            return;
        }
        let pick = |w: usize| self.shape.workers[w % self.shape.workers.len()].clone();
        match op {
            Op::Work(w) => {
                let name = pick(w);
                if let Some(a) = self.worker(&name) {
                    *seq += 1;
                    self.sent.insert(*seq, name);
                    self.sys.send(a, WorkerMsg::Work(*seq));
                }
            }
            Op::CrashAt(w, n) => {
                let name = pick(w);
                let mut sh = self.shared.borrow_mut();
                let now = sh.total.get(&name).copied().unwrap_or(0);
                sh.crash_at.entry(name).or_default().insert(now + n.max(1));
            }
            Op::Crash(w) => {
                if let Some(a) = self.worker(&pick(w)) {
                    self.sys.send(a, WorkerMsg::Crash(w % 2 == 0));
                }
            }
            Op::Kill(w) => {
                if let Some(a) = self.worker(&pick(w)) {
                    self.sys.kill(a);
                }
            }
            Op::Exit(w) => {
                if let Some(a) = self.worker(&pick(w)) {
                    self.sys.send(a, WorkerMsg::Exit);
                }
            }
            Op::Wait(n) => {
                let _ = self.sys.run_for(n);
            }
        }
    }

    pub fn events(&self) -> Vec<Event> {
        self.sys.events().cloned().collect()
    }
}

/// Names and parents of every actor ever spawned, from the trace.
pub struct Actors {
    pub name: BTreeMap<ActorId, String>,
    pub parent: BTreeMap<ActorId, ActorId>,
}

impl Actors {
    pub fn of(events: &[Event]) -> Actors {
        let mut a = Actors { name: BTreeMap::new(), parent: BTreeMap::new() };
        for e in events {
            if let EventKind::Spawn { actor, parent, name, .. } = &e.kind {
                a.name.insert(*actor, name.to_string());
                if let Some(p) = parent {
                    a.parent.insert(*actor, *p);
                }
            }
        }
        a
    }

    /// Returns true if and only if `x` is `anc` or below it.
    pub fn within(&self, x: ActorId, anc: ActorId) -> bool {
        let mut cur = Some(x);
        while let Some(c) = cur {
            if c == anc {
                return true;
            }
            cur = self.parent.get(&c).copied();
        }
        false
    }
}

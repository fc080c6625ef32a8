//! SPEC rule 1: "become" designates the handler for the next message.

use rehearsal::{Actor, Config, Context, Handled, RunOutcome, Strategy, System};

#[derive(Debug, Clone, Copy)]
pub enum Mood {
    Say(u32),
    /// Switch to `shouty` for the messages after this one.
    Shout,
    /// Switch to `whisper` (from any behaviour).
    Whisper,
    /// Back to `handle`.
    Calm,
}

struct Moody {
    said: Vec<String>,
}

impl Moody {
    fn shouty(&mut self, ctx: &mut Context<'_, Self>, msg: Mood) -> Handled {
        match msg {
            Mood::Say(n) => self.said.push(format!("SHOUT {n}")),
            Mood::Shout => self.said.push("SHOUT shout".into()),
            Mood::Whisper => {
                self.said.push("SHOUT whisper".into());
                ctx.become_(Self::whisper);
            }
            Mood::Calm => {
                self.said.push("SHOUT calm".into());
                ctx.unbecome();
                // The current message is still handled here: the change is
                // for the next one.
                self.said.push("still shouting".into());
            }
        }
        Ok(())
    }

    fn whisper(&mut self, ctx: &mut Context<'_, Self>, msg: Mood) -> Handled {
        match msg {
            Mood::Say(n) => self.said.push(format!("psst {n}")),
            Mood::Shout => {
                self.said.push("psst shout".into());
                ctx.become_(Self::shouty);
            }
            Mood::Whisper => self.said.push("psst whisper".into()),
            Mood::Calm => {
                self.said.push("psst calm".into());
                ctx.unbecome();
            }
        }
        Ok(())
    }
}

impl Actor for Moody {
    type Msg = Mood;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Mood) -> Handled {
        match msg {
            Mood::Say(n) => self.said.push(format!("say {n}")),
            Mood::Shout => {
                ctx.become_(Self::shouty);
                self.said.push("say shout".into());
            }
            Mood::Whisper => {
                ctx.become_(Self::whisper);
                self.said.push("say whisper".into());
            }
            Mood::Calm => self.said.push("say calm".into()),
        }
        Ok(())
    }
}

fn run(msgs: &[Mood], strategy: Strategy) -> Vec<String> {
    let mut sys = System::new(Config::seeded(11).strategy(strategy));
    let m = sys.spawn("moody", Moody { said: Vec::new() });
    for &msg in msgs {
        sys.send(m, msg);
    }
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    sys.state(m, |m: &Moody| m.said.clone()).expect("alive")
}

#[test]
fn become_changes_the_handler_for_the_next_message() {
    use Mood::*;
    let said = run(&[Say(1), Shout, Say(2), Say(3), Calm, Say(4)], Strategy::Random);
    assert_eq!(said, ["say 1", "say shout", "SHOUT 2", "SHOUT 3", "SHOUT calm", "still shouting", "say 4"]);
}

#[test]
fn become_chains_and_unbecome_returns_to_handle() {
    use Mood::*;
    let said =
        run(&[Whisper, Say(1), Shout, Say(2), Whisper, Whisper, Calm, Say(3), Calm, Shout, Shout], Strategy::Fifo);
    assert_eq!(
        said,
        [
            "say whisper",
            "psst 1",
            "psst shout",
            "SHOUT 2",
            "SHOUT whisper",
            "psst whisper",
            "psst calm",
            "say 3",
            "say calm",
            "say shout",
            "SHOUT shout"
        ]
    );
}

/// Become survives across steps interleaved with other actors' steps, and
/// the behaviour is per actor.
#[test]
fn behaviour_is_per_actor() {
    use Mood::*;
    for seed in 0..20 {
        let mut sys = System::new(Config::seeded(seed));
        let a = sys.spawn("a", Moody { said: Vec::new() });
        let b = sys.spawn("b", Moody { said: Vec::new() });
        for msg in [Shout, Say(1), Say(2)] {
            sys.send(a, msg);
        }
        for msg in [Say(1), Say(2)] {
            sys.send(b, msg);
        }
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        let said_a = sys.state(a, |m: &Moody| m.said.clone()).expect("alive");
        let said_b = sys.state(b, |m: &Moody| m.said.clone()).expect("alive");
        assert_eq!(said_a, ["say shout", "SHOUT 1", "SHOUT 2"], "seed {seed}");
        assert_eq!(said_b, ["say 1", "say 2"], "seed {seed}");
    }
}

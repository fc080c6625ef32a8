//! Whole-screen tests: snapshots of the views at several steps and sizes
//! (ratatui's test backend, insta), colour and `NO_COLOR`, and the
//! [`snapshot`](super::snapshot) API the command line calls.

use ratatui::style::Color;

use super::app::{App, Pane};
use super::commands::{Command, Key};
use super::{buffer_text, fixture, render, snapshot};

/// The screen of `app` at `width` by `height`, without colour.
fn screen(app: &App, width: u16, height: u16) -> String {
    buffer_text(&render(app, width, height, false))
}

#[test]
fn at_the_start_80x24() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 0, 80, 24, false));
}

#[test]
fn at_the_first_failure_80x24() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 12, 80, 24, false));
}

#[test]
fn at_the_end_80x24() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 27, 80, 24, false));
}

#[test]
fn at_the_end_120x40() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 27, 120, 40, false));
}

#[test]
fn mid_run_100x30() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 5, 100, 30, false));
}

#[test]
fn past_the_end_says_so() {
    let t = fixture::sample_trace();
    let past = snapshot(t.clone(), 1000, 80, 24, false);
    assert!(past.contains("the run has 27 steps; at the last"), "{past}");
    assert!(past.contains("step 27 of 27"));
}

#[test]
fn an_actor_in_the_detail_pane() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(20));
    app.handle(Command::NextPane);
    for _ in 0..4 {
        app.handle(Command::Down);
    }
    assert_eq!(app.pane(), Pane::Tree);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn the_help_popup_80x24() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle_key(Key::Char('?'));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn the_help_popup_scrolled_120x40() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle_key(Key::Char('?'));
    app.handle(Command::Down);
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn a_search_prompt_and_matches() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::Search("kind=failure".into()));
    app.handle(Command::ToggleBreakpoint);
    app.handle_key(Key::Char('/'));
    for c in "actor=work".chars() {
        app.handle_key(Key::Char(c));
    }
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn the_log_scrolled_away_from_the_cursor() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(12));
    for _ in 0..3 {
        app.handle(Command::ScrollDown);
    }
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn too_small() {
    let t = fixture::sample_trace();
    insta::assert_snapshot!(snapshot(t.clone(), 0, 30, 8, false));
}

#[test]
fn an_empty_trace() {
    let mut t = fixture::sample_trace();
    t.events.clear();
    insta::assert_snapshot!(snapshot(t.clone(), 0, 80, 24, false));
}

#[test]
fn no_color_means_no_colour_at_all() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(12));
    app.handle(Command::Search("kind=failure".into()));
    let plain = render(&app, 120, 40, false);
    let colored = render(&app, 120, 40, true);
    app.handle(Command::Help);
    let with_help = render(&app, 120, 40, false);
    for cell in plain.content.iter().chain(&with_help.content) {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    // With colour: states, the status bar, the selection are coloured.
    let fgs: Vec<Color> = colored.content.iter().map(|c| c.fg).collect();
    assert!(fgs.contains(&Color::Green), "running actors");
    assert!(fgs.contains(&Color::Yellow), "the restarting worker and the cursor");
    assert!(colored.content.iter().any(|c| c.bg == Color::Blue), "the status bar");
    // The same text either way.
    assert_eq!(buffer_text(&plain), buffer_text(&colored));
}

#[test]
fn a_coloured_snapshot_is_the_plain_one_with_escapes() {
    let t = fixture::sample_trace();
    let colored = snapshot(t.clone(), 12, 80, 24, true);
    assert!(colored.contains("\x1b[32m"), "green for running actors");
    let mut stripped = String::new();
    let mut chars = colored.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(c);
        }
    }
    let stripped: Vec<&str> = stripped.lines().map(str::trim_end).collect();
    let plain = snapshot(t.clone(), 12, 80, 24, false);
    assert_eq!(stripped, plain.lines().collect::<Vec<_>>());
}

#[test]
fn states_show_without_colour() {
    let t = fixture::sample_trace();
    let at_failure = snapshot(t.clone(), 12, 80, 24, false);
    assert!(at_failure.contains("◐ worker-1"), "suspended after its failure:\n{at_failure}");
    let end = snapshot(t.clone(), 27, 120, 40, false);
    assert!(end.contains("○ temp"), "stopped:\n{end}");
    assert!(end.contains("● worker-1 Worker ↻3"), "running again, restarted 3 times:\n{end}");
}

#[test]
fn the_hint_bar_and_the_help_come_from_the_registry() {
    use super::commands::{bindings, Mode, BINDINGS};
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    let wide = screen(&app, 200, 30);
    let hints = wide.lines().rev().find(|l| !l.trim().is_empty()).unwrap().to_string();
    for b in bindings(Mode::Normal).filter(|b| !b.hint.is_empty()) {
        assert!(hints.contains(&format!("{} {}", b.label, b.hint)), "{hints}");
    }
    app.handle(Command::Help);
    let help = screen(&app, 200, 60);
    // Helps wrap: every line of each, as wrapped, is on the screen.
    for b in BINDINGS {
        for part in super::views::help::wrap(b.help, 60) {
            let first_words: String = part.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
            assert!(help.contains(&first_words), "{} missing from\n{help}", b.help);
        }
    }
    // In a prompt, the prompt's own keys.
    app.handle(Command::Help);
    app.handle(Command::GoToPrompt);
    let prompt = screen(&app, 200, 30);
    let last = prompt.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(last.starts_with("go to step: █"), "{last}");
    assert!(last.contains("Enter go") && last.contains("Esc cancel"), "{last}");
}

/// The app at the end of step `step`, the flow diagram in the log's pane.
fn flow_at(step: u64) -> App {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(step));
    app.handle_key(Key::Char('v'));
    assert!(app.flow_visible());
    app
}

#[test]
fn the_flow_at_the_first_failure_80x24() {
    insta::assert_snapshot!(screen(&flow_at(12), 80, 24));
}

#[test]
fn the_flow_at_the_end_80x24() {
    insta::assert_snapshot!(screen(&flow_at(27), 80, 24));
}

#[test]
fn the_flow_at_the_first_failure_120x40() {
    insta::assert_snapshot!(screen(&flow_at(12), 120, 40));
}

#[test]
fn the_flow_mid_run_120x40() {
    insta::assert_snapshot!(screen(&flow_at(5), 120, 40));
}

#[test]
fn the_flow_with_a_delivery_selected_120x40() {
    // Scrolled back from the cursor onto the delivery of m7, whose chain
    // goes back to client's delivery and the send from outside.
    let mut app = flow_at(12);
    while app.selected_event() > 66 {
        app.handle(Command::Up);
    }
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn v_toggles_the_log_and_the_flow_in_the_same_pane() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(12));
    let log = screen(&app, 100, 30);
    assert!(log.contains(" log ") && !log.contains(" flow "), "{log}");
    assert!(app.handle_key(Key::Char('v')));
    let flow = screen(&app, 100, 30);
    assert!(flow.contains(" flow ") && !flow.contains(" log "), "{flow}");
    // The same selection, the same other panes.
    assert_eq!((app.cursor(), app.selected_event()), (70, 70));
    let left = |s: &str| s.lines().map(|l| l.chars().take(40).collect::<String>()).collect::<Vec<_>>();
    assert_eq!(left(&log), left(&flow));
    app.handle(Command::Up);
    assert_eq!(app.selected_event(), 69);
    app.handle(Command::ToggleFlow);
    assert!(!app.flow_visible());
    assert!(screen(&app, 100, 30).contains(" log "));
}

#[test]
fn the_flow_works_at_tiny_sizes_and_on_an_empty_trace() {
    let app = flow_at(12);
    for (w, h) in [(40, 10), (41, 11), (45, 12), (200, 10), (40, 60)] {
        let s = screen(&app, w, h);
        assert!(s.contains("flow"), "{w}x{h}\n{s}");
    }
    let mut t = fixture::sample_trace();
    t.events.clear();
    let mut app = App::new(t.clone());
    app.handle(Command::ToggleFlow);
    assert!(screen(&app, 80, 24).contains("the trace has no events"));
}

#[test]
fn the_causal_chain_is_marked_without_colour() {
    // In the log and in the flow: the delivery of m7 at 66, its send at 14,
    // the delivery at 13 that sent it... the marker column shows `┃`.
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(0));
    app.handle(Command::StepForward);
    app.handle(Command::StepForward);
    assert_eq!(app.selected_event(), 14);
    assert_eq!(app.causal_chain(), [14, 13, 9]);
    for flow in [false, true] {
        if flow {
            app.handle(Command::ToggleFlow);
        }
        let s = screen(&app, 120, 40);
        for i in [9, 13, 14] {
            assert!(s.lines().any(|l| l.contains(&format!("┃ {i:>5} "))), "{i} not marked:\n{s}");
        }
    }
    // In colour, the chain is bold and cyan, the cursor's row stays yellow.
    let colored = crate::tui::render(&app, 120, 40, true);
    let bold_cyan = colored
        .content
        .iter()
        .filter(|c| c.fg == Color::Cyan && c.modifier.contains(ratatui::style::Modifier::BOLD))
        .count();
    assert!(bold_cyan > 10, "{bold_cyan}");
}

#[test]
fn a_warning_in_the_detail_pane() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::Last);
    for _ in 0..3 {
        app.handle(Command::NextPane);
    }
    app.handle(Command::Down);
    assert_eq!(app.pane(), Pane::Warnings);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn wide_mailboxes_with_gauges_and_trends_160x40() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(20));
    app.handle(Command::NextPane);
    app.handle(Command::NextPane);
    let s = screen(&app, 160, 40);
    assert!(s.contains("mailboxes (8 of 8) · by depth") && s.contains("trend") && s.contains("handled"), "{s}");
    insta::assert_snapshot!(s);
}

/// The (column, row) where `text` first shows on the screen, within columns `cols`.
fn find(screen: &str, text: &str, cols: std::ops::Range<usize>) -> (u16, u16) {
    for (y, line) in screen.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let hay: String = chars.iter().skip(cols.start).take(cols.len()).collect();
        if let Some(byte) = hay.find(text) {
            let x = cols.start + hay[..byte].chars().count();
            return (x as u16, y as u16);
        }
    }
    panic!("{text} is not on the screen:\n{screen}");
}

#[test]
fn clicks_select_what_is_under_the_pointer() {
    use super::commands::Target;
    use super::views::click;
    use ratatui::layout::Rect;
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(20));
    let area = Rect::new(0, 0, 120, 40);
    let click_on = |app: &mut App, text: &str, cols: std::ops::Range<usize>| {
        let s = screen(app, 120, 40);
        let (x, y) = find(&s, text, cols);
        let cmd = click(app, area, x, y).unwrap_or_else(|| panic!("nothing under {text}"));
        app.handle(cmd.clone());
        cmd
    };
    let name = |app: &App| app.selected_actor().map(|a| app.timeline().actors().name(a));
    // The tree (the left 40%): worker-2.
    click_on(&mut app, "worker-2 Worker", 0..48);
    assert_eq!((app.pane(), name(&app).as_deref()), (Pane::Tree, Some("worker-2")));
    // The mailboxes: collector's row (below the tree).
    let s = screen(&app, 120, 40);
    let (_, header) = find(&s, "actor      depth", 0..48);
    let (x, y) = find(&s.lines().skip(header as usize + 1).collect::<Vec<_>>().join("\n"), "collector", 0..48);
    app.handle(click(&app, area, x, y + header + 1).unwrap());
    assert_eq!((app.pane(), name(&app).as_deref()), (Pane::Mailboxes, Some("collector")));
    // The header row selects nothing but focuses the pane.
    app.handle(Command::NextPane);
    let cmd = click(&app, area, 5, header).unwrap();
    assert_eq!(cmd, Command::Click(Target::Pane(Pane::Mailboxes)));
    // The log: one click selects an event, a second moves the cursor there.
    let cursor = app.cursor();
    click_on(&mut app, " 95 s22", 48..120);
    assert_eq!((app.pane(), app.selected_event(), app.cursor()), (Pane::Log, 95, cursor));
    click_on(&mut app, " 95 s22", 48..120);
    assert_eq!(app.cursor(), 95);
    // The warnings: the second one.
    click_on(&mut app, "dead letters failed", 0..48);
    assert_eq!(app.pane(), Pane::Warnings);
    let (key, _) = app.model().warnings.iter().nth(app.selected_warning()).unwrap();
    assert_eq!(key.kind.label(), "dead letters failed");
    // In the flow: a row selects its event, a lane's name its actor.
    app.handle(Command::ToggleFlow);
    let s = screen(&app, 120, 40);
    let (x, y) = find(&s, "worker-1", 48..120);
    app.handle(click(&app, area, x, y).unwrap());
    assert_eq!((app.pane(), name(&app).as_deref()), (Pane::Tree, Some("worker-1")));
    let s = screen(&app, 120, 40);
    let (x, y) = find(&s, "m8 deliver", 48..120);
    app.handle(click(&app, area, x, y).unwrap());
    assert_eq!(app.pane(), Pane::Log);
    assert_eq!(t.events[app.selected_event()].kind.name(), "deliver");
    // Off the panes: nothing; the status bar: nothing.
    assert_eq!(click(&app, area, 3, 0), None);
    assert_eq!(click(&app, Rect::new(0, 0, 20, 5), 3, 3), None, "too small to draw");
}

/// A scenario's run, recorded in memory.
fn scenario_trace(name: &str, given: &[(&str, &str)], seed: u64) -> rehearsal::trace::Trace {
    let s = rehearsal_scenarios::find(name).unwrap();
    let params = rehearsal_scenarios::Params::resolve(s, given).unwrap();
    let mut sys = rehearsal::System::new(rehearsal::Config::seeded(seed).scenario(name, params.to_json()));
    s.run(&mut sys).unwrap();
    let events: Vec<rehearsal::Event> = sys.events().cloned().collect();
    let footer = rehearsal::trace::TraceFooter { events: events.len() as u64, hash: String::new() };
    rehearsal::trace::Trace { header: sys.header(), events, footer }
}

#[test]
fn a_producer_blocked_on_a_full_mailbox_120x40() {
    let t = scenario_trace("backpressure", &[("policy", "block")], 1);
    let mut app = App::new(t);
    app.handle(Command::GoToStep(24));
    app.handle(Command::NextPane);
    let s = screen(&app, 120, 40);
    assert!(s.contains("‖ producer"), "{s}");
    assert!(s.contains("blocked (a send waits for room in a full mailbox)"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn the_sorted_by_column_always_shows() {
    let t = fixture::sample_trace();
    let mut app = App::new(t.clone());
    app.handle(Command::GoToStep(20));
    while app.mailbox_sort().0 != super::app::MailboxSort::Delivered {
        app.handle(Command::SortMailboxes);
    }
    for (w, h) in [(80, 24), (120, 40), (160, 40)] {
        let s = screen(&app, w, h);
        assert!(s.contains("mailboxes (8 of 8) · by handl"), "{s}");
        // Where there is no room for it, it takes the high-water mark's place.
        let shown = |l: &&str| l.contains("actor") && (l.contains("handled") || l.contains(" done "));
        assert!(s.lines().any(|l| shown(&l)), "{w}x{h}:\n{s}");
    }
}

//! The mailboxes at the cursor, in the order `s` picks (deepest first at
//! the start): depth, then as the pane's width allows capacity and policy
//! (`8/old` is 8 with drop-oldest), a gauge of how full a bounded mailbox
//! is, high-water mark, drops, messages handled, and a sparkline of its
//! depth over the run so far (wider as the pane is).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{window, Theme};
use crate::tui::app::App;

/// Width of the gauge column.
const GAUGE: usize = 6;
/// Width of the sparkline column.
const TREND: usize = 10;

/// A bar `width` columns wide, filled `value` over `max` (eighths of a
/// column), padded with `·`.
///
/// ```
/// # use rehearsal_inspector::tui::views::mailboxes::gauge;
/// assert_eq!(gauge(0, 8, 4), "····");
/// assert_eq!(gauge(4, 8, 4), "██··");
/// assert_eq!(gauge(8, 8, 4), "████");
/// assert_eq!(gauge(1, 8, 4), "▌···");
/// ```
pub fn gauge(value: u32, max: u32, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = if max == 0 { 0 } else { (u64::from(value.min(max)) * width as u64 * 8 / u64::from(max)) as usize };
    let mut out: String = "█".repeat(eighths / 8);
    if eighths % 8 != 0 {
        out.push(PARTS[eighths % 8]);
    }
    while out.chars().count() < width {
        out.push('·');
    }
    out
}

/// A sparkline of `values`, scaled to the largest (`▁` is zero).
///
/// ```
/// # use rehearsal_inspector::tui::views::mailboxes::sparkline;
/// assert_eq!(sparkline(&[0, 1, 2, 4, 8]), "▁▂▃▅█");
/// assert_eq!(sparkline(&[0, 0]), "▁▁");
/// ```
pub fn sparkline(values: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| if v == 0 || max == 0 { BARS[0] } else { BARS[1 + (u64::from(v) * 6 / u64::from(max)) as usize] })
        .collect()
}

/// Which columns fit in `width`.
struct Columns {
    cap: bool,
    gauge: bool,
    handled: bool,
    /// Too narrow for a handled column the sort needs: it takes the
    /// high-water mark's place (as `done`).
    handled_for_high: bool,
    /// The sparkline's width (0: none).
    trend: usize,
    name: usize,
}

impl Columns {
    /// The columns for a pane `width` wide, as many as fit after a name of
    /// 7 columns: capacity, gauge; then, while the name keeps 14, the
    /// sparkline (with half of what is left, up to 40) and handled. `handled` (the table is sorted by it) puts
    /// the handled column first, so it always shows.
    fn new(width: usize, handled: bool) -> Self {
        const NAME_MIN: usize = 7;
        let mut used = 18 + NAME_MIN + 1;
        // `slack`: room the name keeps beyond its 7 columns.
        let mut take = |w: usize, slack: usize| {
            let fits = used + w + slack <= width;
            if fits {
                used += w;
            }
            fits
        };
        let wanted = handled;
        let handled_first = handled && take(8, 0);
        let cap = take(10, 0);
        let gauge = take(GAUGE + 1, 0);
        // The extras only while names keep 14 columns: the sparkline, then
        // the handled count.
        let trend_fits = take(TREND + 1, 7);
        let handled = handled_first || take(8, 7);
        let trend = if trend_fits { (TREND + (width - used - 7) / 2).min(40) } else { 0 };
        let extra = trend.saturating_sub(TREND);
        let handled_for_high = wanted && !handled;
        Columns {
            cap,
            gauge,
            handled,
            handled_for_high,
            trend,
            name: (width + NAME_MIN).saturating_sub(used + extra).max(4),
        }
    }

    /// A row from its cells: name, depth, capacity, gauge, high, drops,
    /// handled, trend.
    fn row(&self, [name, depth, cap, gauge, high, drops, handled, trend]: [&str; 8]) -> String {
        let mut s = format!("{:<w$} {depth:>5}", super::fit_name(name, self.name), w = self.name);
        if self.cap {
            s.push_str(&format!(" {cap:>9}"));
        }
        if self.gauge {
            s.push_str(&format!(" {gauge:<GAUGE$}"));
        }
        let high = if self.handled_for_high { handled } else { high };
        s.push_str(&format!(" {high:>5} {drops:>5}"));
        if self.handled {
            s.push_str(&format!(" {handled:>7}"));
        }
        if self.trend > 0 {
            s.push_str(&format!(" {trend:<w$}", w = self.trend));
        }
        s
    }
}

fn cap_text(m: Option<(u32, rehearsal::Overflow)>) -> String {
    match m {
        None => "-".to_string(),
        Some((n, policy)) => {
            let p = match policy {
                rehearsal::Overflow::DropNewest => "new",
                rehearsal::Overflow::DropOldest => "old",
                rehearsal::Overflow::Reject => "rej",
                rehearsal::Overflow::Block => "blk",
                rehearsal::Overflow::Fail => "fail",
            };
            format!("{n}/{p}")
        }
    }
}

/// Draws the table.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let rows = app.mailbox_rows();
    let tl = app.timeline();
    let actors = tl.actors();
    let model = app.model();
    let (sort, reversed) = app.mailbox_sort();
    // Mailboxes that never held anything are left out: say how many show.
    let title = format!(
        " mailboxes ({} of {}) · by {}{} ",
        rows.len(),
        model.actors.len(),
        sort.label(),
        if reversed { " ↑" } else { "" }
    );
    let block = theme.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cols = Columns::new(inner.width as usize, sort == crate::tui::app::MailboxSort::Delivered);
    let handled = if cols.handled_for_high { "done" } else { "handled" };
    let header = cols.row(["actor", "depth", "cap", "full", "high", "drops", handled, "trend"]);
    let mut lines = vec![Line::from(Span::styled(header, theme.label()))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled("no messages yet", theme.dim())));
    }
    let height = (inner.height as usize).saturating_sub(1);
    let selected =
        app.selected_actor().and_then(|a| actors.index_of(a)).and_then(|i| rows.iter().position(|&r| r == i));
    let start = window(selected.unwrap_or(0), rows.len(), height);
    for (pos, &i) in rows.iter().enumerate().skip(start).take(height) {
        let (Some(info), Some(st)) = (actors.get(i), model.actors.get(i)) else { continue };
        // How full: only a bounded mailbox has a "full".
        let full = match info.mailbox {
            Some((cap, _)) => gauge(st.depth, cap, GAUGE),
            None => "-".to_string(),
        };
        let trend =
            if cols.trend > 0 { sparkline(&tl.depth_series(i, model.applied, cols.trend)) } else { String::new() };
        // Parked sends waiting behind a full mailbox show as `+N`.
        let depth = if st.waiting > 0 { format!("{}+{}", st.depth, st.waiting) } else { st.depth.to_string() };
        let text = cols.row([
            &actors.label(info.id),
            &depth,
            &cap_text(info.mailbox),
            &full,
            &st.high_water.to_string(),
            &st.drops.to_string(),
            &st.delivered.to_string(),
            &trend,
        ]);
        let mut line = Line::from(Span::styled(text, theme.state(st.shown_state())));
        if st.depth == 0 {
            line = line.style(theme.dim());
        }
        if Some(pos) == selected {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

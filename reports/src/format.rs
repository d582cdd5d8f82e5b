//! Fixed, deterministic formatting of numbers, durations and text for every renderer.

/// `x` with three significant digits and an SI prefix: `495 M`, `1.23 k`, `12.0` (no unit).
pub fn si(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, p) in prefixes {
        if x.abs() >= scale * 0.9995 {
            return format!("{} {p}", sig3(x / scale));
        }
    }
    sig3(x)
}

/// Three significant digits without exponent: `123`, `12.3`, `1.23`, `0.123`.
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if a >= 99.95 {
        format!("{x:.0}")
    } else if a >= 9.995 {
        format!("{x:.1}")
    } else if a >= 0.9995 || a == 0.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// An axis tick: [`si`] without trailing zeros (`40 G`, `2.5 M`, `0`).
pub fn tick(x: f64) -> String {
    trim_zeros(&si(x))
}

/// A duration tick: [`ns`] without trailing zeros (`50 ms`, `1 µs`).
pub fn ns_tick(x: f64) -> String {
    trim_zeros(&ns(x))
}

/// Drops trailing zeros (and a trailing point) from the number at the start of `s`: `40.0 G` -> `40 G`.
fn trim_zeros(s: &str) -> String {
    let split = s.find(' ').unwrap_or(s.len());
    let (num, rest) = s.split_at(split);
    if !num.contains('.') {
        return s.to_string();
    }
    format!("{}{rest}", num.trim_end_matches('0').trim_end_matches('.'))
}

/// A duration given in ns, in the unit that suits it: `850 ns`, `1.23 µs`, `45.6 ms`, `1.20 s`.
pub fn ns(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 * 0.9995 {
        format!("{} s", sig3(x / 1e9))
    } else if a >= 1e6 * 0.9995 {
        format!("{} ms", sig3(x / 1e6))
    } else if a >= 1e3 * 0.9995 {
        format!("{} µs", sig3(x / 1e3))
    } else {
        format!("{x:.0} ns")
    }
}

/// A fraction as a percentage with one decimal: `0.1234` -> `12.3%`.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A ratio with two decimals and a multiplication sign: `2.35×`.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}×")
    } else {
        "–".into()
    }
}

/// A percentile label for quantile `q`: `50%`, `99.9%`, `99.99%`.
pub fn percentile(q: f64) -> String {
    let p = q * 100.0;
    let mut s = format!("{p:.6}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s}%")
}

/// Bytes in binary units: `24.0 GiB`.
pub fn bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// A sorted list of CPU numbers as ranges: `0-3,8,10-11`.
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut v = cpus.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}-{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes user-controlled text (labels, host names, case and variant names, notes, error
/// messages, commands, commits, branches, file names) for the Markdown that GitHub renders in step
/// summaries and pull-request comments. Every Markdown renderer goes through this one function
/// (or [`md_code`], which uses it); the result renders as the literal text, on one line, anywhere
/// inline: in a paragraph, a heading, a list item or a table cell.
///
/// - HTML: `&`, `<` and `>` become entities, so no tag (`<script>`, `<img>`, `<!-- -->`) and no
///   `<URL>` autolink can form.
/// - Tables and lines: `|` gets a backslash and every control character (newlines included)
///   becomes a space, so a cell stays one cell and the text stays on its line.
/// - Inline syntax: `\` `` ` `` `*` `_` `~` `[` `]` `(` `)` `!` `#` `$` get a backslash, so the
///   text opens no link, image, emphasis, code span, strikethrough, math or heading; so do the `:`
///   of `://` and the `.` of `www.` (GFM's bare-URL autolinks).
/// - Block syntax: a leading list marker (`-`, `+`, the `.` of `1.`) or rule (`---`, `===`) gets
///   a backslash, so the text starts no list, rule or heading underline even when it begins a
///   line.
///
/// It does not stop GitHub's `@user` mentions (they are found in the rendered text; [`md_code`]
/// avoids them, as GitHub does not look inside `<code>`).
pub fn md_escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    // A list marker is followed by a space (or ends the line); `---` and `===` make a rule or an
    // underline.
    let ends_marker = |i: usize| chars.get(i + 1).is_none_or(|c| c.is_whitespace());
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '&' => {
                out.push_str("&amp;");
                continue;
            }
            '<' => {
                out.push_str("&lt;");
                continue;
            }
            '>' => {
                out.push_str("&gt;");
                continue;
            }
            c if c.is_control() => {
                out.push(' ');
                continue;
            }
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '(' | ')' | '!' | '#' | '|' | '$' => true,
            '-' | '+' | '=' => {
                i == 0 && (ends_marker(0) || chars.iter().all(|&x| x == c || x.is_whitespace()))
            }
            ':' => chars[i + 1..].starts_with(&['/', '/']),
            '.' => {
                (i > 0 && i == leading_digits && ends_marker(i))
                    || (i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// User text shown as code: a code span when [`md_escape`] leaves the text as it is (inside a code
/// span every character is literal, so escapes would show), otherwise `<code>` around the escaped
/// text (a backtick in the text would end a code span early).
pub fn md_code(s: &str) -> String {
    let escaped = md_escape(s);
    if escaped == s && !s.is_empty() {
        format!("`{s}`")
    } else {
        format!("<code>{escaped}</code>")
    }
}

/// Test support: asserts that `md` (a renderer's whole output) is inert whatever its user text:
/// no HTML but `<code>`, no link or image, and every table row has its header's column count.
#[cfg(test)]
pub(crate) fn assert_inert_markdown(md: &str) {
    // Characters outside backslash escapes (md_escape escapes every backslash it keeps).
    let unescaped = |line: &str| -> Vec<char> {
        let mut out = Vec::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
                out.push(' ');
            } else {
                out.push(c);
            }
        }
        out
    };
    let without_code = md.replace("<code>", "").replace("</code>", "");
    assert!(!without_code.contains('<'), "raw HTML in:\n{md}");
    let mut columns = None;
    for line in md.lines() {
        let plain: String = unescaped(line).into_iter().collect();
        assert!(!plain.contains("]("), "a link or image in: {line}");
        assert!(!plain.contains("]["), "a reference link in: {line}");
        if line.starts_with('|') {
            let n = plain.matches('|').count();
            assert_eq!(
                *columns.get_or_insert(n),
                n,
                "a row breaks its table: {line}"
            );
        } else {
            columns = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_prefixes_keep_three_digits() {
        assert_eq!(si(495.0e6), "495 M");
        assert_eq!(si(1234.0), "1.23 k");
        assert_eq!(si(12.0), "12.0");
        assert_eq!(si(999.96e3), "1.00 M");
        assert_eq!(si(0.5), "0.500");
    }

    #[test]
    fn ticks_drop_trailing_zeros() {
        assert_eq!(tick(40e9), "40 G");
        assert_eq!(tick(2.5e6), "2.5 M");
        assert_eq!(tick(0.0), "0");
        assert_eq!(ns_tick(50e6), "50 ms");
        assert_eq!(ns_tick(100.0), "100 ns");
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(ns(850.0), "850 ns");
        assert_eq!(ns(1234.0), "1.23 µs");
        assert_eq!(ns(45.6e6), "45.6 ms");
        assert_eq!(ns(1.2e9), "1.20 s");
    }

    #[test]
    fn percentiles_drop_trailing_zeros() {
        assert_eq!(percentile(0.5), "50%");
        assert_eq!(percentile(0.999), "99.9%");
        assert_eq!(percentile(0.9999), "99.99%");
    }

    #[test]
    fn cpu_lists_collapse_ranges() {
        assert_eq!(cpu_list(&[3, 0, 1, 2, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpu_list(&[]), "");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn markdown_escape_neutralises_html_tables_and_links() {
        let script = md_escape("<script>alert(1)</script>|x");
        assert_eq!(script, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|x");
        assert_eq!(
            md_escape("[a](javascript:alert(1))"),
            "\\[a\\]\\(javascript:alert\\(1\\)\\)"
        );
        assert_eq!(md_escape("![img](x.png)"), "\\!\\[img\\]\\(x.png\\)");
        assert_eq!(
            md_escape("*a* _b_ `c` ~d~ $e$"),
            "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~ \\$e\\$"
        );
        assert_eq!(md_escape("a\nb\r\nc\td"), "a b  c d");
        assert_eq!(md_escape("# h"), "\\# h");
        assert_eq!(md_escape("a \\| b & c"), "a \\\\\\| b &amp; c");
        assert_eq!(md_escape("&lt;"), "&amp;lt;");
        assert_eq!(
            md_escape("https://x.test www.x.test"),
            "https\\://x.test www\\.x.test"
        );
        // Block markers only where they would start a block, so versions stay readable.
        assert_eq!(md_escape("- a"), "\\- a");
        assert_eq!(md_escape("+"), "\\+");
        assert_eq!(md_escape("---"), "\\---");
        assert_eq!(md_escape("12. a"), "12\\. a");
        assert_eq!(md_escape("6.18.0-cloud-amd64"), "6.18.0-cloud-amd64");
        assert_eq!(md_escape("-j4 a-b"), "-j4 a-b");
        assert_eq!(
            md_escape("counter/actor-batched@2/compact"),
            "counter/actor-batched@2/compact"
        );
        assert_eq!(md_escape("épée 20%"), "épée 20%");
    }

    #[test]
    fn markdown_code_is_a_span_only_when_nothing_needs_escaping() {
        assert_eq!(
            md_code("counter/mutex@2/compact"),
            "`counter/mutex@2/compact`"
        );
        assert_eq!(md_code("a`b"), "<code>a\\`b</code>");
        assert_eq!(
            md_code("<script>alert(1)</script>|x"),
            "<code>&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|x</code>"
        );
        assert_eq!(md_code(""), "<code></code>");
    }

    #[test]
    fn the_inertness_check_catches_what_it_should() {
        let caught = |md: &str| std::panic::catch_unwind(|| assert_inert_markdown(md)).is_err();
        assert!(caught("<script>alert(1)</script>"));
        assert!(caught("x [a](javascript:alert(1))"));
        assert!(caught("| a | b |\n|---|---|\n| <code>x</code> | y | z |"));
        assert!(!caught(
            "| a | b |\n|---|---|\n| <code>x\\|y</code> | z |\n\ntext"
        ));
    }
}

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

/// Escapes text for a Markdown table cell (pipes and newlines).
pub fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
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
}

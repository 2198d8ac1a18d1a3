//! A self-contained `report.html`: the text of `report.md` (headings, lists, tables, paragraphs,
//! inline code: the only Markdown our reports use) followed by the protocol's plots as
//! `<img src="plots/NAME.png">`. A small inline script marks on `<body>` how many images loaded,
//! so a headless browser can check the page (tools/check_report.sh).
//!
//! The Markdown subset is converted here rather than with a Markdown crate because these few
//! line forms are all `calogen evaluate` writes, and a full parser costs more build time than
//! the whole plotting stack.

use std::fmt::Write as _;

use super::figure::Figure;
use super::plots::size_of;

/// One protocol's part of the report: its Markdown summary and its figures.
pub struct Section<'a> {
    pub markdown: &'a str,
    pub figures: &'a [Figure],
}

/// `&`, `<`, `>`, `"` escaped for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with `code` spans.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (k, part) in s.split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn cells(line: &str) -> Vec<&str> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(str::trim).collect()
}

fn is_separator(line: &str) -> bool {
    let c = cells(line);
    !c.is_empty()
        && c.iter()
            .all(|x| !x.is_empty() && x.chars().all(|ch| matches!(ch, '-' | ':')))
}

/// HTML of the Markdown forms `calogen evaluate` writes; headings move down one level
/// (`#` → `<h2>`) because the page has its own `<h1>`.
pub fn markdown_to_html(md: &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let t = line.trim_start();
        if t.is_empty() {
            i += 1;
        } else if let Some(level) = heading_level(t) {
            let text = t[level..].trim();
            let h = (level + 1).min(6);
            let _ = writeln!(out, "<h{h}>{}</h{h}>", inline(text));
            i += 1;
        } else if t.starts_with('|') {
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(lines[i]);
                i += 1;
            }
            out.push_str("<table>\n");
            let has_header = rows.len() > 1 && is_separator(rows[1]);
            for (k, row) in rows.iter().enumerate() {
                if has_header && k == 1 {
                    continue;
                }
                let tag = if has_header && k == 0 { "th" } else { "td" };
                out.push_str("<tr>");
                for c in cells(row) {
                    let _ = write!(out, "<{tag}>{}</{tag}>", inline(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        } else if t.starts_with("- ") || t.starts_with("* ") {
            out.push_str("<ul>\n");
            while i < lines.len() {
                let l = lines[i].trim_start();
                if !(l.starts_with("- ") || l.starts_with("* ")) {
                    break;
                }
                let _ = writeln!(out, "<li>{}</li>", inline(l[2..].trim()));
                i += 1;
            }
            out.push_str("</ul>\n");
        } else {
            let mut para = Vec::new();
            while i < lines.len() {
                let l = lines[i].trim();
                if l.is_empty()
                    || heading_level(l).is_some()
                    || l.starts_with('|')
                    || l.starts_with("- ")
                    || l.starts_with("* ")
                {
                    break;
                }
                para.push(inline(l));
                i += 1;
            }
            let _ = writeln!(out, "<p>{}</p>", para.join(" "));
        }
    }
    out
}

fn heading_level(t: &str) -> Option<usize> {
    let n = t.chars().take_while(|&c| c == '#').count();
    (n > 0 && n <= 6 && t[n..].starts_with(' ')).then_some(n)
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1900px;margin:1.5em auto;\
padding:0 1.5em;color:#222;line-height:1.4}\
h1{font-size:1.6em;border-bottom:2px solid #ccc;padding-bottom:.2em}h2{font-size:1.35em;margin-top:1.6em}\
section{margin-bottom:2.5em}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .7em;text-align:left}\
th{background:#f2f2f2}td:not(:first-child){font-variant-numeric:tabular-nums}\
code{background:#f4f4f4;padding:0 .25em;border-radius:3px;word-break:break-all}\
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1.2em}\
figure{margin:0;border:1px solid #ddd;padding:.4em;background:#fff}\
figure img{width:100%;height:auto;display:block}figcaption{font-size:.9em;color:#444;margin-top:.3em}\
footer{color:#777;font-size:.85em;margin-top:2em}";

/// Records on `<body>` how many images loaded, so a headless browser's DOM dump can be checked.
const SCRIPT: &str = "window.addEventListener('load',function(){var im=document.images,ok=0;\
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;}\
document.body.setAttribute('data-images-loaded',ok+' of '+im.length);});";

/// The page: a `<section>` per protocol (its Markdown, then a grid of its plots).
pub fn report_html(title: &str, sections: &[Section]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>",
        escape(title),
        escape(title)
    );
    for sec in sections {
        s.push_str("<section>\n");
        s.push_str(&markdown_to_html(sec.markdown));
        if !sec.figures.is_empty() {
            s.push_str("<h3>Plots</h3>\n<p>Geant4: filled grey; generated: blue line. Ratio panels: \
                        generated / Geant4 with Geant4's statistical uncertainty as the grey band and \
                        the generated sample's as error bars.</p>\n<div class=\"plots\">\n");
            for f in sec.figures {
                let (w, h) = size_of(f);
                let name = escape(f.name());
                let _ = write!(
                    s,
                    "<figure id=\"{name}\"><a href=\"plots/{name}.png\"><img src=\"plots/{name}.png\" \
                     alt=\"{}\" width=\"{w}\" height=\"{h}\"></a>",
                    escape(f.title())
                );
                let cap = if f.caption().is_empty() {
                    inline(f.title())
                } else {
                    format!("{} — {}", inline(f.title()), inline(f.caption()))
                };
                let _ = writeln!(s, "<figcaption>{cap}</figcaption></figure>");
            }
            s.push_str("</div>\n");
        }
        s.push_str("</section>\n");
    }
    let _ = writeln!(
        s,
        "<footer>Written by calogen {} (<code>calogen evaluate</code>); the numbers are those of \
         metrics.json and report.md in this folder.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_forms_of_the_reports() {
        let md = "# calogen evaluate — CaloClouds II protocol\n\n- reference: `a<b>.h5` (20 showers)\n\
                  - generated: `g.h5`\n\nStandardised W1 (×10⁻³):\n\n| observable | model |\n|---|---|\n\
                  | n_hits | 1.0 ± 0.1 |\n| cog_x | 2 |\n\nClassifier: AUC 0.5 & more\nsecond line\n";
        let h = markdown_to_html(md);
        assert!(
            h.contains("<h2>calogen evaluate — CaloClouds II protocol</h2>"),
            "{h}"
        );
        assert!(h.contains("<li>reference: <code>a&lt;b&gt;.h5</code> (20 showers)</li>"));
        assert_eq!(h.matches("<li>").count(), 2);
        assert!(h.contains("<tr><th>observable</th><th>model</th></tr>"));
        assert!(h.contains("<tr><td>n_hits</td><td>1.0 ± 0.1</td></tr>"));
        assert_eq!(h.matches("<tr>").count(), 3, "separator row dropped");
        assert!(h.contains("<p>Classifier: AUC 0.5 &amp; more second line</p>"));
        assert!(h.contains("<p>Standardised W1 (×10⁻³):</p>"));
    }

    #[test]
    fn page_lists_every_figure() {
        use crate::report::figure::BinnedPair;
        let f = vec![Figure::Binned(
            BinnedPair::distribution("n_hits", "N hits", "N", &[1.0], &[2.0], vec![0.0, 3.0])
                .caption("W1 0.1"),
        )];
        let page = report_html(
            "t",
            &[Section {
                markdown: "# P\n",
                figures: &f,
            }],
        );
        assert!(page.contains("<img src=\"plots/n_hits.png\""));
        assert!(page.contains("N hits — W1 0.1"));
        assert!(page.contains("data-images-loaded"));
        assert!(page.ends_with("</html>\n"));
    }
}

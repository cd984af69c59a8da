//! The charts' tests: marks counted and in value order, hostile text escaped, the same
//! bytes twice, empty and negative inputs.
#![allow(clippy::arithmetic_side_effects, clippy::string_slice, reason = "test code: failing loudly is the point")]

use super::*;

/// A mark with what it is, as a caller's `describe` gives it.
struct Named {
    mark: Mark,
    about: Described,
}

fn named(label: &str, value: f64, text: String, kind: MarkKind) -> Named {
    Named { mark: Mark { value, kind }, about: Described { label: label.into(), text } }
}

fn mark(label: &str, value: f64, kind: MarkKind) -> Named {
    named(label, value, format!("{value:.2} %"), kind)
}

/// A distribution and its marks' descriptions.
struct Drawing {
    d: Distribution,
    about: Vec<Described>,
}

fn dist(marks: Vec<Named>) -> Drawing {
    let (marks, about) = marks.into_iter().map(|n| (n.mark, n.about)).unzip();
    Drawing {
        d: Distribution {
            title: "Cost as % of turnover".into(),
            axis: "cost as % of turnover (%)".into(),
            marks,
            lines: vec![],
        },
        about,
    }
}

/// The chart, each mark described from the drawing's list; every mark drawn is described.
fn distribution(drawing: &Drawing) -> String {
    let asked = std::cell::RefCell::new(Vec::new());
    let html = super::distribution(&drawing.d, &|i| {
        asked.borrow_mut().push(i);
        drawing.about[i].clone()
    });
    assert_eq!(asked.borrow().len(), marks_of(&html).len(), "one description per mark drawn");
    html
}

/// The attribute `name` of an SVG element line, as a number.
fn attr(line: &str, name: &str) -> f64 {
    let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    let rest = &line[start..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

fn marks_of(html: &str) -> Vec<&str> {
    html.lines().filter(|l| l.starts_with("<rect class=\"mark ") || l.starts_with("<circle class=\"mark ")).collect()
}

/// The pixel row of each bar's value end (top edge at or above zero, bottom edge below).
fn value_ends(html: &str, values: &[f64]) -> Vec<f64> {
    marks_of(html)
        .iter()
        .zip(values)
        .map(|(l, v)| if *v >= 0.0 { attr(l, "y") } else { attr(l, "y") + attr(l, "height") })
        .collect()
}

#[test]
fn one_bar_per_mark_in_rank_order_with_heights_following_the_values() {
    let values = [0.9, 0.31, 2.1, 1.1, 0.5, 1.7];
    let marks = values.iter().enumerate().map(|(i, v)| mark(&format!("org {i}"), *v, MarkKind::Peer)).collect();
    let html = distribution(&dist(marks));
    assert_eq!(marks_of(&html).len(), values.len());
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let ends = value_ends(&html, &sorted);
    assert!(ends.windows(2).all(|w| w[0] > w[1]), "bars not rising with the values: {ends:?}");
    let heights: Vec<f64> = marks_of(&html).iter().map(|l| attr(l, "height")).collect();
    assert!(heights.windows(2).all(|w| w[0] < w[1]), "heights not rising: {heights:?}");
    let xs: Vec<f64> = marks_of(&html).iter().map(|l| attr(l, "x")).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "bars not left to right: {xs:?}");
    // The table lists them in the plotted (rank) order.
    let order: Vec<usize> = ["0.31 %", "0.50 %", "0.90 %", "1.10 %", "1.70 %", "2.10 %"]
        .iter()
        .map(|t| html.find(&format!("<td>{t}</td>")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn kinds_have_their_classes_colours_and_legend() {
    let html = distribution(&dist(vec![
        mark("a", 0.2, MarkKind::Trimmed),
        mark("b", 0.5, MarkKind::Peer),
        mark("c", 0.7, MarkKind::Highlighted),
        mark("d", 0.9, MarkKind::Peer),
    ]));
    let marks = marks_of(&html);
    assert!(marks[0].contains("class=\"mark trimmed\"") && marks[0].contains("fill=\"#E8D9B5\""));
    assert!(marks[1].contains("class=\"mark peer\"") && marks[1].contains("fill=\"#8C8C8C\""));
    assert!(marks[2].contains("class=\"mark highlighted\"") && marks[2].contains("fill=\"#C43E1C\""));
    for entry in [">\nPeer\n<", ">\nHighlighted\n<", ">\nTrimmed\n<"] {
        assert!(html.contains(entry), "legend lacks {entry:?}");
    }
    assert!(html.contains("<desc>4 values, lowest 0.20 %, highest 0.90 %; highlighted: c, 0.70 %, rank 3 of 4; 1 value trimmed</desc>"), "{html}");
}

#[test]
fn a_large_group_draws_400_evenly_by_rank_and_every_highlighted_one() {
    let marks: Vec<Named> = (0..14_800)
        .map(|i| {
            // Ranks 5,001 and 7,001 are between the evenly spread ones.
            let kind = if i == 5_000 || i == 7_000 { MarkKind::Highlighted } else { MarkKind::Peer };
            named(&format!("org {i}"), f64::from(i), format!("£{i}"), kind)
        })
        .collect();
    let html = distribution(&dist(marks));
    let drawn = marks_of(&html);
    assert_eq!(drawn.len(), 402);
    assert_eq!(drawn.iter().filter(|l| l.contains("mark highlighted")).count(), 2);
    assert!(html.contains("402 of 14,800 shown: about every 37th by rank, and each highlighted one"));
    assert!(html.contains("highlighted: org 5000, £5000, rank 5,001 of 14,800"));
    assert!(html.contains("<td>£0</td>") && html.contains("<td>£14799</td>"), "lowest and highest drawn");
    assert_eq!(html.matches("<tr><td>").count(), 402, "the table lists the drawn ones");
    assert!(html.contains("<p>14,398 values not drawn are left out of this table.</p>"));
    let values: Vec<f64> = drawn.iter().map(|_| 1.0).collect();
    let ends = value_ends(&html, &values);
    assert!(ends.windows(2).all(|w| w[0] >= w[1]), "sampled bars out of order");

    let exact = distribution(&dist((0..400).map(|i| mark("m", f64::from(i), MarkKind::Peer)).collect()));
    assert_eq!(marks_of(&exact).len(), 400);
    assert!(!exact.contains("shown:"));
    let every_other = distribution(&dist((0..799).map(|i| mark("m", f64::from(i), MarkKind::Peer)).collect()));
    assert!(every_other.contains("400 of 799 shown: every 2nd by rank"), "{}", &every_other[..2000]);
}

#[test]
fn hostile_text_comes_out_escaped_everywhere() {
    let evil = "<b>&\"'";
    let mut d = dist(vec![named(evil, 1.0, evil.into(), MarkKind::Highlighted), mark("peer", 0.5, MarkKind::Peer)]);
    d.d.title = evil.into();
    d.d.axis = evil.into();
    d.d.lines = vec![RefLine { label: evil.into(), value: 0.7, text: evil.into() }];
    let series = vec![Series { name: evil.into(), values: vec![Some((1.0, evil.into())), None] }];
    let g = Grouped {
        title: evil.into(),
        axis: evil.into(),
        groups: vec![evil.into(), "b".into()],
        series: series.clone(),
    };
    let t = Trend { title: evil.into(), axis: evil.into(), periods: vec![evil.into(), "b".into()], series };
    for html in [distribution(&d), grouped(&g), trend(&t)] {
        assert!(!html.contains("<b>"), "raw markup in {html}");
        assert!(!html.contains("&\""), "raw ampersand");
        assert!(html.contains("<title>&lt;b&gt;&amp;&quot;&apos;</title>"));
        // plotters escapes the text it draws itself (axis name, labels): checked, not assumed.
        assert!(html.contains("\n&lt;b&gt;&amp;&quot;&apos;\n</text>"), "plotters' own text not escaped: {html}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let d = dist((0..50).map(|i| mark(&format!("org {i}"), f64::from(i % 7) - 2.0, MarkKind::Peer)).collect());
    assert_eq!(distribution(&d), distribution(&d));
    let t = Trend {
        title: "t".into(),
        axis: "£".into(),
        periods: vec!["2022".into(), "2023".into()],
        series: vec![Series { name: "s".into(), values: vec![Some((1.0, "£1".into())), Some((2.0, "£2".into()))] }],
    };
    assert_eq!(trend(&t), trend(&t));
}

#[test]
fn empty_input_says_there_is_nothing_to_plot() {
    let html = distribution(&dist(vec![]));
    assert!(html.contains("<figure class=\"chart chart-empty\">") && html.contains("No values to plot."));
    assert!(!html.contains("<svg"));
    let nan = distribution(&dist(vec![mark("x", f64::NAN, MarkKind::Peer)]));
    assert!(nan.contains("No values to plot (1 value not a finite number)."));
    let g = Grouped {
        title: "g".into(),
        axis: "£".into(),
        groups: vec!["a".into()],
        series: vec![Series { name: "s".into(), values: vec![None] }],
    };
    assert!(grouped(&g).contains("No values to plot."));
    let t = Trend { title: "t".into(), axis: "£".into(), periods: vec![], series: vec![] };
    assert!(trend(&t).contains("No values to plot."));
}

#[test]
fn negative_values_hang_below_the_zero_line() {
    let values = [-3.0, -1.0, 0.0, 2.0];
    let html = distribution(&dist(values.iter().map(|v| mark("m", *v, MarkKind::Peer)).collect()));
    let marks = marks_of(&html);
    assert_eq!(marks.len(), 4);
    let zero = attr(marks[2], "y");
    assert_eq!(attr(marks[2], "height"), 0.0);
    assert_eq!(attr(marks[0], "y"), zero, "a negative bar starts at the zero line");
    assert!(attr(marks[0], "height") > attr(marks[1], "height"));
    assert_eq!(attr(marks[3], "y") + attr(marks[3], "height"), zero, "a positive bar ends at the zero line");
    let ends = value_ends(&html, &values);
    assert!(ends.windows(2).all(|w| w[0] > w[1]), "{ends:?}");
    assert!(html.contains("<desc>4 values, lowest -3.00 %, highest 2.00 %</desc>"));
}

#[test]
fn a_single_mark_and_equal_marks_are_drawn() {
    let one = distribution(&dist(vec![mark("Only Org", 1.5, MarkKind::Highlighted)]));
    assert_eq!(marks_of(&one).len(), 1);
    assert!(one.contains("<desc>1 value, Only Org: 1.50 %; highlighted: Only Org, 1.50 %, rank 1 of 1</desc>"));
    let same = distribution(&dist((0..5).map(|_| mark("m", 0.0, MarkKind::Peer)).collect()));
    assert_eq!(marks_of(&same).len(), 5);
    let same = distribution(&dist((0..5).map(|_| mark("m", 4.0, MarkKind::Peer)).collect()));
    let heights: Vec<f64> = marks_of(&same).iter().map(|l| attr(l, "height")).collect();
    assert!(heights.iter().all(|h| *h > 0.0 && *h == heights[0]), "{heights:?}");
}

#[test]
fn grouped_bars_leave_missing_values_out() {
    let g = Grouped {
        title: "Savings by function".into(),
        axis: "£".into(),
        groups: vec!["Finance".into(), "HR".into(), "IT".into()],
        series: vec![
            Series {
                name: "Median".into(),
                values: vec![Some((100.0, "£100".into())), None, Some((300.0, "£300".into()))],
            },
            Series {
                name: "Quartile".into(),
                values: vec![Some((-50.0, "-£50".into())), Some((20.0, "£20".into())), None],
            },
        ],
    };
    let html = grouped(&g);
    let marks = marks_of(&html);
    assert_eq!(marks.len(), 4);
    assert_eq!(marks.iter().filter(|l| l.contains("class=\"mark s0\"")).count(), 2);
    assert_eq!(marks.iter().filter(|l| l.contains("class=\"mark s1\"")).count(), 2);
    assert!(attr(marks[0], "height") * 3.0 - attr(marks[1], "height") <= 3.0, "£100 is a third of £300");
    assert!(html.contains("<tr><th scope=\"row\">Median</th><td>£100</td><td>missing</td><td>£300</td></tr>"));
    assert!(html.contains("<desc>4 values in 3 groups, 2 series (Median, Quartile); groups Finance to IT; lowest -£50 (Quartile, Finance); highest £300 (Median, IT); 2 missing, not plotted</desc>"), "{html}");
}

#[test]
fn trend_points_follow_the_values_and_a_gap_breaks_the_line() {
    let t = Trend {
        title: "Cost per m²".into(),
        axis: "£/m²".into(),
        periods: vec!["2021".into(), "2022".into(), "2023".into(), "2024".into()],
        series: vec![Series {
            name: "Example".into(),
            values: vec![Some((10.0, "£10".into())), Some((30.0, "£30".into())), None, Some((20.0, "£20".into()))],
        }],
    };
    let html = trend(&t);
    let points = marks_of(&html);
    assert_eq!(points.len(), 3);
    let cy: Vec<f64> = points.iter().map(|l| attr(l, "cy")).collect();
    assert!(cy[0] > cy[2] && cy[2] > cy[1], "{cy:?}");
    assert_eq!(
        html.matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#0072B2\"").count(),
        1,
        "one run of two points drawn as a line"
    );
}

#[test]
fn numbers_and_words() {
    assert_eq!(format_number(2_400_000.0, 0), "2,400,000");
    assert_eq!(format_number(-0.0001, 2), "0.00");
    assert_eq!(format_number(-1234.5, 1), "-1,234.5");
    assert_eq!(ordinal(1), "1st");
    assert_eq!(ordinal(12), "12th");
    assert_eq!(ordinal(22), "22nd");
    assert_eq!(ordinal(37), "37th");
    assert_eq!(clip("abcdef", 4), "abc…");
    assert_eq!(value_range([3.0, 3.0].into_iter()), (0.0, 3.15));
    assert_eq!(value_range([0.0].into_iter()), (0.0, 1.0));
}

#[test]
fn snapshot_of_a_small_distribution() {
    let mut d = dist(vec![
        mark("North", 0.4, MarkKind::Trimmed),
        mark("Example Trust", 1.1, MarkKind::Highlighted),
        mark("South", 0.8, MarkKind::Peer),
    ]);
    d.d.lines = vec![RefLine { label: "median".into(), value: 0.9, text: "0.90 %".into() }];
    insta::assert_snapshot!(distribution(&d));
}

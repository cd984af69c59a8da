//! Templates: the placeholders of column names and titles (`"{f.title} cost"`).

use super::DefChecker;
use crate::ast::*;
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Spanned;

/// The placeholders of a template (`{f}`, `{f.title}`), or `None` if a `{` is not closed.
fn placeholders(text: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some((_, after)) = rest.split_once('{') {
        let (inside, tail) = after.split_once('}')?;
        found.push(inside.trim().to_string());
        rest = tail;
    }
    Some(found)
}

impl<'c, 'a> DefChecker<'c, 'a> {
    /// `"{f.title} cost"`: every placeholder must be an index of the field with a value
    /// for every member, and each index must appear (else all members read one column).
    pub(super) fn column_template(&mut self, field: &Field) {
        let Some(ok) = self.template(&field.column, &field.indices, Code::BadColumnTemplate, "the column name") else {
            return;
        };
        if !ok {
            return;
        }
        let placeholders = placeholders(&field.column.node).unwrap_or_default();
        for d in &field.indices {
            let used = placeholders.iter().any(|p| p.split('.').next() == Some(d.node.var.node.as_str()));
            if !used {
                self.push(
                    Diagnostic::new(
                        Code::BadColumnTemplate,
                        format!("the column name does not vary with `{}`", d.node.var.node),
                    )
                    .primary(field.column.span, format!("every {} would read this one column", d.node.set.node))
                    .help(format!("put `{{{0}}}` or `{{{0}.title}}` in the column name", d.node.var.node)),
                );
            }
        }
    }

    /// Check the placeholders of a template (a column name or a title) against the index
    /// variables in scope. `None` if it is malformed, else whether every placeholder is good.
    fn template(
        &mut self,
        text: &Spanned<String>,
        indices: &[Spanned<IndexDecl>],
        code: Code,
        what: &str,
    ) -> Option<bool> {
        let Some(found) = placeholders(&text.node) else {
            self.push(
                Diagnostic::new(code, format!("a `{{` in {what} is not closed"))
                    .primary(text.span, "unclosed placeholder")
                    .help("placeholders are written `{f}` or `{f.title}`"),
            );
            return None;
        };
        let mut ok = true;
        for p in &found {
            let (var, prop) = p.split_once('.').map_or((p.as_str(), None), |(v, pr)| (v, Some(pr)));
            let Some(decl) = indices.iter().find(|d| d.node.var.node == var) else {
                ok = false;
                let vars: Vec<&str> = indices.iter().map(|d| d.node.var.node.as_str()).collect();
                self.push(
                    Diagnostic::new(code, format!("`{{{p}}}` in {what} does not name an index"))
                        .primary(text.span, format!("`{var}` is not an index here"))
                        .help(if vars.is_empty() {
                            "only indexed definitions (`[f in function]`) can use placeholders".to_string()
                        } else {
                            suggest::help_for(var, vars, "use an index variable of the definition")
                        }),
                );
                continue;
            };
            let members = self.syms().members(&decl.node.set.node).unwrap_or_default();
            let lacking = members.iter().find(|m| match prop {
                None | Some("name") => false,
                Some("title") => m.title.is_none(),
                Some(other) => !m.properties.iter().any(|pr| pr.node.key.node == other),
            });
            if let Some(m) = lacking {
                ok = false;
                self.push(
                    Diagnostic::new(
                        code,
                        format!("`{{{p}}}` cannot be built for `{}`: it has no `{}`", m.name, prop.unwrap_or("name")),
                    )
                    .primary(text.span, format!("nothing to put here for {} `{}`", decl.node.set.node, m.name))
                    .help(format!(
                        "give every member of `{}` that property, or use `{{{var}}}` or `{{{var}.title}}`",
                        decl.node.set.node
                    )),
                );
            }
        }
        Some(ok)
    }

    /// Titles such as `"Cost of {f.title}"` may only use the definition's index variables.
    pub(super) fn title_template(&mut self, title: Option<&Spanned<String>>, indices: &[Spanned<IndexDecl>]) {
        if let Some(title) = title {
            self.template(title, indices, Code::UnboundIndex, "the title");
        }
    }
}

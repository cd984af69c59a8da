//! Tracing a policy's requirement for one row or entity: the verdict as a node whose rule
//! is the `require` expression with each sub-expression's value, down to the cells.

use super::{first_occurrences, labelled, plain_unit, same, Ctx, Tracer};
use crate::ast::{DatasetDef, PolicyDef};
use crate::check::exprs::Scope;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::Env;
use crate::explain::graph::{Kind, Node};

impl<'m> Tracer<'_, 'm, '_> {
    /// The node of policy `name` (with index members `key`) for frame row `row`.
    pub fn policy(
        &mut self,
        name: &str,
        def: &'m PolicyDef,
        dataset: &'m DatasetDef,
        key: &[String],
        row: usize,
    ) -> usize {
        let var = def.var.node.as_str();
        let grouped = (!def.by.is_empty()).then_some((var, def.by.as_slice()));
        let env = Env { record: Some(var), group: grouped, ..Env::with(&def.indices, key, None) };
        let fast = self.ev.eval(&def.require, &env).get(row).clone();
        let label = if key.is_empty() { name.to_string() } else { format!("{name}[{}]", key.join(",")) };
        let id = self.nodes.len();
        let mut node = Node::new(Kind::Policy, label, fast.clone(), plain_unit());
        node.entity = Some(self.entity(row));
        node.index = labelled(&def.indices, key);
        self.nodes.push(node);
        let scope = Scope {
            policy: Some((var, dataset)),
            group_by: grouped.map(|(_, by)| by),
            ..Scope::with_indices(&def.indices)
        };
        let ctx = Ctx { env, scope, row, depth: 0 };
        let (mut terms, mut inputs, mut truncated) = (Vec::new(), Vec::new(), false);
        let (traced, _) = self.walk(&def.require, &ctx, &mut terms, &mut inputs, &mut truncated);
        let rule = self.rule(def.require.span, terms);
        if let Some(n) = self.nodes.get_mut(id) {
            n.rule = Some(rule);
            n.inputs = first_occurrences(inputs);
            n.truncated = truncated;
        }
        if !same(&traced, &fast) {
            self.problems.push(
                Diagnostic::new(
                    Code::InternalError,
                    format!("explaining `{name}` gives {traced} but verifying gives {fast}"),
                )
                .primary(def.require.span, "traced here")
                .help("the explanation and the verdict disagree: please report this with the command you ran"),
            );
        }
        id
    }
}

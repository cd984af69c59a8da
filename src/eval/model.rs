//! The checked rules, indexed for evaluation.

use crate::ast::{DefKind, MethodologyDef, PropValue};
use crate::check::symbols::{Item, Symbols};
use crate::check::units::UnitTable;
use crate::load::RuleTree;

pub struct Model<'a> {
    pub tree: &'a RuleTree,
    pub syms: Symbols<'a>,
    pub units: UnitTable,
}

impl<'a> Model<'a> {
    /// Index a rules tree that has been checked without errors.
    pub fn new(tree: &'a RuleTree) -> Model<'a> {
        let mut scratch = Vec::new();
        let units = UnitTable::build(&tree.asts, &mut scratch);
        let syms = Symbols::build(&tree.asts, &mut scratch);
        Model { tree, syms, units }
    }

    pub fn methodology(&self, name: &str) -> Option<&'a MethodologyDef> {
        match self.syms.get(name).map(|s| s.item) {
            Some(Item::Methodology(m)) => Some(m),
            _ => None,
        }
    }

    /// The methodology's name with the rules' lifetime (for environments).
    pub fn meth_name(&self, name: &str) -> &'a str {
        self.syms.names.get_key_value(name).map_or("", |(k, _)| *k)
    }

    /// Every methodology, in definition order.
    pub fn methodologies(&self) -> Vec<(&'a str, &'a MethodologyDef)> {
        self.syms.order.iter().filter_map(|n| self.methodology(n).map(|m| (*n, m))).collect()
    }

    /// Every definition of a kind, in file order.
    pub fn definitions(&self) -> impl Iterator<Item = &'a crate::source::Spanned<crate::ast::Definition>> {
        self.tree.asts.iter().flat_map(|f| &f.definitions)
    }

    /// The loading plan of every dataset of entities (record datasets are for `classify`
    /// and policies), in file order, with all its fields.
    pub fn entity_datasets(&self) -> Vec<crate::data::DatasetSpec> {
        self.definitions()
            .filter_map(|d| match &d.node.kind {
                crate::ast::DefKind::Dataset(ds) if ds.gives_entities() => {
                    Some(crate::data::DatasetSpec::build(&d.node.name, ds, &self.syms, &self.units))
                }
                _ => None,
            })
            .collect()
    }

    /// The loading plan of every dataset read from files (entities and records), in file
    /// order: what a rule test may write rows of.
    pub fn file_datasets(&self) -> Vec<crate::data::DatasetSpec> {
        self.definitions()
            .filter_map(|d| match &d.node.kind {
                crate::ast::DefKind::Dataset(ds) if ds.classified.is_none() => {
                    Some(crate::data::DatasetSpec::build(&d.node.name, ds, &self.syms, &self.units))
                }
                _ => None,
            })
            .collect()
    }

    pub fn class_of(&self, activity: &str) -> Option<&'a str> {
        match self.syms.get(activity).map(|s| s.item) {
            Some(Item::Activity { activity, .. }) => Some(activity.class.node.as_str()),
            _ => None,
        }
    }

    /// `{f.title}` and friends: a member's name, title or property.
    pub fn member_property(&self, member: &str, property: &str) -> Option<String> {
        if property == "name" {
            return Some(member.to_string());
        }
        let (title, properties) = match self.syms.get(member).map(|s| s.item) {
            Some(Item::Function(f)) => (Some(f.title.node.clone()), f.properties.as_slice()),
            Some(Item::Class(c)) => (Some(c.title.node.clone()), c.properties.as_slice()),
            Some(Item::Activity { activity, .. }) => (Some(activity.title.node.clone()), &[][..]),
            _ => {
                let title = self.syms.sets.values().flat_map(|(_, s)| &s.members).find(|m| m.node.name.node == member);
                (title.and_then(|m| m.node.title.as_ref().map(|t| t.node.clone())), &[][..])
            }
        };
        if property == "title" {
            return title.or_else(|| Some(member.to_string()));
        }
        properties.iter().find(|p| p.node.key.node == property).map(|p| match &p.node.value.node {
            PropValue::Text(t) | PropValue::Word(t) => t.clone(),
            PropValue::Number(n) => n.to_string(),
        })
    }

    /// The order members of a set are declared in, for sorting output.
    pub fn member_rank(&self, set: &str, member: &str) -> usize {
        self.syms.members(set).and_then(|ms| ms.iter().position(|m| m.name == member)).unwrap_or(usize::MAX)
    }

    pub fn kpi_names(&self) -> Vec<&'a str> {
        self.definitions()
            .filter(|d| matches!(d.node.kind, DefKind::Kpi(_)))
            .map(|d| d.node.name.node.as_str())
            .collect()
    }
}

//! Small builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A foreign key from `table.column` to `target.id`.
pub fn fk(table: &str, column: &str, target: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(target.to_owned(), "id")
        .on_delete(on_delete)
        .to_owned()
}

/// An index (unique or not) named after its table and columns.
pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(format!("ix_{table}_{}", columns.join("_"))).table(table.to_owned());
    for column in columns {
        statement.col(String::from(*column));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

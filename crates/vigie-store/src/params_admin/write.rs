//! The changes an administrator makes to a table: add, edit, move, activate or
//! deactivate, delete; each in one transaction with its audit entry.

use super::*;

impl Store {
    /// Adds a value at the end of its table.
    pub async fn admin_add(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        new: &NewValue<'_>,
    ) -> Result<i64> {
        let code = new.code.trim();
        let label = new.label.trim();
        let national = new.national_code.trim();
        if table.closed() {
            return Err(rule(format!(
                "La table « {} » est une liste fixe : aucune valeur ne peut y être ajoutée.",
                table.label()
            )));
        }
        let mut errors = Errors::default();
        check_code(&mut errors, code);
        check_label(&mut errors, label);
        if table.has_national_code() {
            check_national_code(&mut errors, national);
        }
        if let Some(m) = new.meaning
            && !table.meanings().contains(&m)
        {
            errors.push("meaning", "Signification", "non applicable à cette table.");
        }
        let txn = self.write().await?;
        if table == Table::Services {
            let ok = match new.territory_id {
                Some(t) => one(
                    &txn,
                    "SELECT id FROM territory WHERE id = $1 AND active",
                    vals![t],
                )
                .await?
                .is_some(),
                None => false,
            };
            if !ok {
                errors.push(
                    "territory_id",
                    "Territoire",
                    "choisissez un territoire actif dans la liste.",
                );
            }
        }
        let existing = values_of(&txn, table, true).await?;
        let territory = if table == Table::Services {
            new.territory_id
        } else {
            None
        };
        check_unique(&mut errors, &existing, Some(code), Some((label, territory)));
        if !errors.is_empty() {
            errors.into_result()?;
        }
        // Territory and service codes are unique across the whole table, which `existing`
        // covers; parameter codes per kind, likewise.
        let next = existing.iter().map(|v| v.sort_order).max().unwrap_or(0) + 10;
        let national = (!national.is_empty()).then_some(national);
        let row = match table {
            Table::Param(k) => one(
                &txn,
                "INSERT INTO param_value (kind, code, label, sort_order, active, national_code, meaning)
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
                vals![k.code(), code, label, next, national, new.meaning.map(|m| m.code())],
            )
            .await,
            Table::Territories => one(
                &txn,
                "INSERT INTO territory (code, label, sort_order, active) VALUES ($1, $2, $3, TRUE) RETURNING id",
                vals![code, label, next],
            )
            .await,
            Table::Services => one(
                &txn,
                "INSERT INTO service (territory_id, code, label, sort_order, active) VALUES ($1, $2, $3, $4, TRUE) RETURNING id",
                vals![new.territory_id, code, label, next],
            )
            .await,
        };
        let id: i64 = match row {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                return Err(DomainError::field(
                    "code",
                    "Code",
                    format!("le code « {code} » existe déjà dans cette table."),
                )
                .into());
            }
            Err(e) => return Err(e),
        };
        let mut d = detail(table, code);
        if let Some(m) = new.meaning {
            d.push_str(&format!(" signification={}", m.code()));
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.ajout")
                .on(table.sql_table(), id)
                .detail(d),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Changes a value's label, national code, and code (only while the value is unused
    /// and carries no meaning). Returns whether anything changed (no change: no audit entry).
    pub async fn admin_update(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        change: &ValueChange<'_>,
    ) -> Result<bool> {
        let code = change.code.trim();
        let label = change.label.trim();
        let national = change.national_code.trim();
        let txn = self.write().await?;
        let (cur, values) = value_for_update(&txn, table, id).await?;
        if let Some(read) = change.read
            && (read.code != cur.code
                || read.label != cur.label
                || (table.has_national_code()
                    && read.national_code != cur.national_code.as_deref().unwrap_or_default()))
        {
            return Err(rule(format!(
                "Cette valeur a été modifiée entre-temps par un autre administrateur (code « {} », libellé « {} ») : rien n'a été enregistré. Vérifiez la ligne et enregistrez de nouveau.",
                cur.code, cur.label
            )));
        }
        let code_changed = code != cur.code;
        let national_new = (!national.is_empty()).then(|| national.to_owned());
        let national_changed = table.has_national_code() && national_new != cur.national_code;
        let label_changed = label != cur.label;
        let mut errors = Errors::default();
        if code_changed {
            if let Some(why) = cur.code_locked(table) {
                errors.push("code", "Code", why);
            } else {
                check_code(&mut errors, code);
            }
        }
        if label_changed {
            check_label(&mut errors, label);
        }
        if national_changed {
            check_national_code(&mut errors, national);
        }
        let others: Vec<AdminValue> = values.into_iter().filter(|v| v.id != id).collect();
        check_unique(
            &mut errors,
            &others,
            code_changed.then_some(code),
            (label.to_lowercase() != cur.label.to_lowercase()).then_some((label, cur.territory_id)),
        );
        if !errors.is_empty() {
            errors.into_result()?;
        }
        if !code_changed && !label_changed && !national_changed {
            return Ok(false);
        }
        let mut fields = Vec::new();
        if code_changed {
            fields.push("code");
        }
        if label_changed {
            fields.push("label");
        }
        if national_changed {
            fields.push("national_code");
        }
        let res = if table.has_national_code() {
            exec(
                &txn,
                "UPDATE param_value SET code = $1, label = $2, national_code = $3 WHERE id = $4",
                vals![code, label, national_new, id],
            )
            .await
        } else {
            exec(
                &txn,
                &format!(
                    "UPDATE {} SET code = $1, label = $2 WHERE id = $3",
                    table.sql_table()
                ),
                vals![code, label, id],
            )
            .await
        };
        match res {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(DomainError::field(
                    "code",
                    "Code",
                    format!("le code « {code} » existe déjà dans cette table."),
                )
                .into());
            }
            Err(e) => return Err(e),
        }
        let mut d = format!("{} champs={}", detail(table, code), fields.join(","));
        if code_changed {
            d.push_str(&format!(" ancien_code={}", cur.code));
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.modification")
                .on(table.sql_table(), id)
                .detail(d),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Moves a value one place up or down in its table (the table is renumbered 10, 20, …).
    pub async fn admin_move(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        dir: Direction,
    ) -> Result<()> {
        let txn = self.write().await?;
        let values = values_of(&txn, table, true).await?;
        let at = values
            .iter()
            .position(|v| v.id == id)
            .ok_or(StoreError::NotFound)?;
        let cur = &values[at];
        if table.closed() {
            return Err(rule(format!(
                "« {} » ne peut pas être déplacée : l'ordre des statuts est fixe.",
                cur.label
            )));
        }
        let other = match dir {
            Direction::Up if at > 0 => at - 1,
            Direction::Down if at + 1 < values.len() => at + 1,
            Direction::Up => {
                return Err(rule(format!(
                    "« {} » est déjà en première position.",
                    cur.label
                )));
            }
            Direction::Down => {
                return Err(rule(format!(
                    "« {} » est déjà en dernière position.",
                    cur.label
                )));
            }
        };
        let mut ids: Vec<i64> = values.iter().map(|v| v.id).collect();
        ids.swap(at, other);
        let update = format!(
            "UPDATE {} SET sort_order = $1 WHERE id = $2",
            table.sql_table()
        );
        for (i, vid) in ids.iter().enumerate() {
            let order = (i as i64 + 1) * 10;
            let was = values.iter().find(|v| v.id == *vid).map(|v| v.sort_order);
            if was != Some(order) {
                exec(&txn, &update, vals![order, *vid]).await?;
            }
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.deplacement")
                .on(table.sql_table(), id)
                .detail(format!("{} sens={}", detail(table, &cur.code), dir.code())),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deactivates (gone from new entries, still shown on old dossiers) or reactivates a value.
    pub async fn admin_set_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
        active: bool,
    ) -> Result<()> {
        let txn = self.write().await?;
        let (cur, values) = value_for_update(&txn, table, id).await?;
        if cur.active == active {
            return Err(rule(format!(
                "« {} » est déjà {}.",
                cur.label,
                if active { "active" } else { "désactivée" }
            )));
        }
        if !active {
            if table.closed() {
                return Err(rule(format!(
                    "« {} » ne peut pas être désactivée : la liste des statuts est fixe.",
                    cur.label
                )));
            }
            if let Some(m) = cur.meaning
                && meaning_required(m)
                && !values
                    .iter()
                    .any(|v| v.id != id && v.active && v.meaning == Some(m))
            {
                return Err(rule(format!(
                    "« {} » ne peut pas être désactivée : c'est la seule valeur active qui signifie « {} », que la CRIP doit toujours pouvoir saisir. Ajoutez d'abord une autre valeur de même signification.",
                    cur.label,
                    meaning_label(m)
                )));
            }
        }
        exec(
            &txn,
            &format!("UPDATE {} SET active = $1 WHERE id = $2", table.sql_table()),
            vals![active, id],
        )
        .await?;
        let action = if active {
            "parametre.reactivation"
        } else {
            "parametre.desactivation"
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new(action)
                .on(table.sql_table(), id)
                .detail(detail(table, &cur.code)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes a value that nothing uses and that carries no meaning.
    pub async fn admin_delete(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        table: Table,
        id: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let (cur, _) = value_for_update(&txn, table, id).await?;
        if let Some(why) = cur.undeletable(table) {
            return Err(rule(why));
        }
        match exec(
            &txn,
            &format!("DELETE FROM {} WHERE id = $1", table.sql_table()),
            vals![id],
        )
        .await
        {
            Ok(_) => {}
            // A reference this module does not count (the schema test should prevent it):
            // refused all the same, nothing written.
            Err(StoreError::Db(e))
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                return Err(rule(format!(
                    "« {} » est encore référencée : elle ne peut pas être supprimée, seulement désactivée.",
                    cur.label
                )));
            }
            Err(e) => return Err(e),
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.suppression")
                .on(table.sql_table(), id)
                .detail(detail(table, &cur.code)),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

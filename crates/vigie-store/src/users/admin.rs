//! The administrator's actions on accounts: create, edit, activate or deactivate, reset a
//! password or a second factor, end sessions; each refusal is traced.

use super::*;

impl Store {
    /// Records a refused administration attempt in its own transaction (the attempt's own
    /// transaction was rolled back: nothing of it is written), then returns the refusal.
    async fn refuse(
        &self,
        txn: sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        action: &str,
        user: Option<i64>,
        err: StoreError,
    ) -> StoreError {
        if let Err(e) = txn.rollback().await {
            return e.into();
        }
        let mut ev = Event::new(action).detail(refused_fields(&err));
        if let Some(id) = user {
            ev = ev.on("app_user", id);
        }
        match self.audit(now, actor, ev).await {
            Ok(_) => err,
            Err(e) => e,
        }
    }

    /// One user with their territories, service, second factor, last login and open sessions.
    pub async fn user_detail(&self, now: DateTime<Utc>, id: i64) -> Result<UserDetail> {
        let r = one(
            &self.db,
            "SELECT id, login, display_name, role, service_id, active, demo, must_change_password, totp_enabled_at, version, pending_since
             FROM app_user WHERE id = $1",
            vals![id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let territories = all(
            &self.db,
            "SELECT territory_id FROM user_territory WHERE user_id = $1 ORDER BY territory_id",
            vals![id],
        )
        .await?
        .iter()
        .map(|t| get(t, "territory_id"))
        .collect::<Result<Vec<i64>>>()?;
        let user = user_from(&r, territories)?;
        // The user's entries, newest first, through the (user_id, seq) index.
        let last_login = one(
            &self.db,
            "SELECT at FROM audit_entry WHERE user_id = $1 AND action = 'connexion' ORDER BY seq DESC LIMIT 1",
            vals![id],
        )
        .await?
        .map(|r| get::<DateTime<Utc>>(&r, "at"))
        .transpose()?;
        let active_sessions = one(
            &self.db,
            "SELECT COUNT(*) AS n FROM web_session WHERE user_id = $1 AND expires_at > $2",
            vals![id, now],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        Ok(UserDetail {
            user,
            version: get(&r, "version")?,
            last_login,
            active_sessions,
        })
    }

    /// Creates a user from the administration page, with a temporary password (its hash:
    /// see [`temporary_password`]) to change at the first login. A refusal (a login taken,
    /// an unknown role, a territory or service that does not exist or is deactivated…)
    /// writes nothing but its own audit entry, `utilisateur.creation_refusee`, with the
    /// refused field names.
    pub async fn create_user(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        login: &str,
        input: &UserInput,
        password_hash: &str,
    ) -> Result<i64> {
        const REFUSED: &str = "utilisateur.creation_refusee";
        let txn = self.write().await?;
        let checked = match check_login(login).map_err(StoreError::from) {
            Ok(()) => check_input(&txn, input, None).await,
            Err(e) => Err(e),
        };
        let c = match checked {
            Ok(c) => c,
            Err(e) => return Err(self.refuse(txn, now, actor, REFUSED, None, e).await),
        };
        let r = one(
            &txn,
            "INSERT INTO app_user (login, display_name, password_hash, role, service_id, active, must_change_password, demo, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, TRUE, FALSE, $6, $6) RETURNING id",
            vals![login, c.display_name.clone(), password_hash, c.role.code(), c.service_id, now],
        )
        .await;
        let id: i64 = match r {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                let e = StoreError::Duplicate(
                    "login",
                    format!("l'identifiant « {login} » est déjà pris."),
                );
                return Err(self.refuse(txn, now, actor, REFUSED, None, e).await);
            }
            Err(e) => return Err(e),
        };
        for t in &c.territories {
            exec(
                &txn,
                "INSERT INTO user_territory (user_id, territory_id) VALUES ($1, $2)",
                vals![id, *t],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.creation")
                .on("app_user", id)
                .detail(format!("role={}", c.role.code())),
        )
        .await?;
        let asked = two_person::to_confirm(None, c.reach());
        if !asked.is_empty() {
            crate::pending::request(&txn, &self.keys, now, actor, id, &asked).await?;
        }
        txn.commit().await?;
        Ok(id)
    }

    /// Changes a user's name, role, territories and service, if `version` is still the
    /// stored one ([`StoreError::Stale`] otherwise). Returns the names of the fields
    /// changed (none: nothing written). A refusal writes nothing but its own audit entry,
    /// `utilisateur.modification_refusee`. An administrator cannot take away their own role.
    /// The change applies from the user's next request (sessions read the role afresh); a
    /// change that grants a role, a territory or a service to an account that reads dossiers
    /// leaves it pending (see [`crate::pending`]): its sessions are closed.
    pub async fn update_user(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        version: i64,
        input: &UserInput,
    ) -> Result<Vec<&'static str>> {
        const REFUSED: &str = "utilisateur.modification_refusee";
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        let c = match check_input(&txn, input, Some(&cur)).await {
            Ok(c) => c,
            Err(e) => return Err(self.refuse(txn, now, actor, REFUSED, Some(id), e).await),
        };
        if actor.user_id == Some(id) && cur.role == Role::Administrateur && c.role != cur.role {
            let e = DomainError::field(
                "role",
                "Rôle",
                "vous ne pouvez pas retirer votre propre rôle d'administrateur : un autre administrateur doit le faire.",
            )
            .into();
            return Err(self.refuse(txn, now, actor, REFUSED, Some(id), e).await);
        }
        if cur.version != version {
            return Err(StoreError::Stale(
                "Ce compte a été modifié entre-temps par un autre administrateur : rien n'a été enregistré. Rechargez la page et reportez vos modifications.".into(),
            ));
        }
        let mut changed = Vec::new();
        if c.display_name != cur.display_name {
            changed.push("display_name");
        }
        if c.role != cur.role {
            changed.push("role");
        }
        if c.territories != cur.territories {
            changed.push("territories");
        }
        if c.service_id != cur.service_id {
            changed.push("service");
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        let n = exec(
            &txn,
            "UPDATE app_user SET display_name = $1, role = $2, service_id = $3, updated_at = $4, version = version + 1
             WHERE id = $5 AND version = $6",
            vals![c.display_name.clone(), c.role.code(), c.service_id, now, id, version],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::Stale(
                "Ce compte a été modifié entre-temps par un autre administrateur : rien n'a été enregistré. Rechargez la page et reportez vos modifications.".into(),
            ));
        }
        if changed.contains(&"territories") {
            exec(
                &txn,
                "DELETE FROM user_territory WHERE user_id = $1",
                vals![id],
            )
            .await?;
            for t in &c.territories {
                exec(
                    &txn,
                    "INSERT INTO user_territory (user_id, territory_id) VALUES ($1, $2)",
                    vals![id, *t],
                )
                .await?;
            }
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.modification")
                .on("app_user", id)
                .detail(format!("champs={}", changed.join(","))),
        )
        .await?;
        let before = two_person::Reach {
            role: cur.role,
            territories: &cur.territories,
            service_id: cur.service_id,
        };
        let asked = two_person::to_confirm(Some(before), c.reach());
        if !asked.is_empty() {
            crate::pending::request(&txn, &self.keys, now, actor, id, &asked).await?;
        }
        txn.commit().await?;
        Ok(changed)
    }

    /// Disables (ending all their sessions in the same transaction) or re-enables a user.
    /// An administrator cannot disable their own account. Returns whether anything changed.
    pub async fn set_user_active(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        active: bool,
    ) -> Result<bool> {
        if !active && actor.user_id == Some(id) {
            return Err(DomainError::Rule(
                "Vous ne pouvez pas désactiver votre propre compte : un autre administrateur doit le faire.".into(),
            )
            .into());
        }
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        if cur.active == active {
            return Ok(false);
        }
        exec(
            &txn,
            "UPDATE app_user SET active = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            vals![active, now, id],
        )
        .await?;
        let action = if active {
            crate::pending::request_if_reads_dossiers(
                &txn,
                &self.keys,
                now,
                actor,
                id,
                cur.role,
                two_person::REACTIVATION,
            )
            .await?;
            "utilisateur.reactivation"
        } else {
            exec(
                &txn,
                "DELETE FROM web_session WHERE user_id = $1",
                vals![id],
            )
            .await?;
            "utilisateur.desactivation"
        };
        self.append(&txn, now, actor, Event::new(action).on("app_user", id))
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Resets a user's password to a temporary one (its hash: see [`temporary_password`]),
    /// to change at the next login; all their sessions end.
    pub async fn reset_password(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
        password_hash: &str,
    ) -> Result<()> {
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        crate::pending::request_if_reads_dossiers(
            &txn,
            &self.keys,
            now,
            actor,
            id,
            cur.role,
            two_person::RESET_PASSWORD,
        )
        .await?;
        exec(
            &txn,
            "UPDATE app_user SET password_hash = $1, must_change_password = TRUE, updated_at = $2, version = version + 1 WHERE id = $3",
            vals![password_hash, now, id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.mot_de_passe_reinitialise").on("app_user", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Removes a user's second factor (secret, recovery codes) and ends their sessions:
    /// they enrol again at the next login.
    pub async fn reset_second_factor(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let cur = current(&txn, id).await?;
        crate::pending::request_if_reads_dossiers(
            &txn,
            &self.keys,
            now,
            actor,
            id,
            cur.role,
            two_person::RESET_SECOND_FACTOR,
        )
        .await?;
        exec(
            &txn,
            "UPDATE app_user SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $1, version = version + 1 WHERE id = $2",
            vals![now, id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM recovery_code WHERE user_id = $1",
            vals![id],
        )
        .await?;
        exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.second_facteur_reinitialise").on("app_user", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ends every session of a user at once; returns how many there were.
    pub async fn end_user_sessions(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        id: i64,
    ) -> Result<u64> {
        let txn = self.write().await?;
        current(&txn, id).await?;
        let n = exec(
            &txn,
            "DELETE FROM web_session WHERE user_id = $1",
            vals![id],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("utilisateur.sessions_fermees")
                .on("app_user", id)
                .detail(format!("sessions={n}")),
        )
        .await?;
        txn.commit().await?;
        Ok(n)
    }
}

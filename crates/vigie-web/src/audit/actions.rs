//! The actions Vigie records in the audit trail, with their French labels: the trail's
//! action filter and its table.

/// The actions Vigie records, with their French labels; `famille.*` filters a family.
pub const ACTIONS: &[(&str, &str)] = &[
    ("dossier.*", "Dossiers : toutes les actions"),
    ("dossier.consultation", "Consultation d'un dossier"),
    (
        "dossier.consultation_refusee",
        "Consultation refusée (hors périmètre)",
    ),
    ("dossier.creation", "Création d'un dossier"),
    ("dossier.modification", "Modification d'un dossier"),
    (
        "dossier.historique",
        "Consultation de l'historique d'un dossier",
    ),
    (
        "dossier.historique_refuse",
        "Historique refusé (hors périmètre)",
    ),
    ("dossier.recherche", "Recherche de dossiers"),
    ("dossier.liste", "Liste de dossiers affichée"),
    ("dossier.echeances", "Échéances affichées"),
    ("statistiques.*", "Tableaux de bord : toutes les actions"),
    ("statistiques.consultation", "Tableau de bord consulté"),
    ("statistiques.tableau_croise", "Tableau croisé consulté"),
    ("statistiques.export", "Statistiques exportées"),
    (
        "statistiques.tableau_enregistre",
        "Tableau croisé enregistré",
    ),
    (
        "statistiques.tableau_supprime",
        "Tableau croisé enregistré supprimé",
    ),
    (
        "dossier.acces_exceptionnel",
        "Accès exceptionnel à un dossier",
    ),
    (
        "dossier.acces_exceptionnel_refuse",
        "Accès exceptionnel refusé",
    ),
    ("personne.*", "Enfants : toutes les actions"),
    ("personne.liaison", "Enfant lié à une personne connue"),
    ("personne.deliaison", "Enfant délié d'une personne connue"),
    ("personne.suggestion", "Recherche de personnes connues"),
    ("connexion*", "Connexions : toutes les étapes"),
    ("connexion", "Connexion"),
    ("connexion.echec", "Échec de connexion"),
    ("connexion.mot_de_passe", "Connexion : mot de passe vérifié"),
    ("connexion.refusee", "Connexion refusée"),
    (
        "connexion.en_attente",
        "Connexion d'un compte en attente de confirmation",
    ),
    ("reauthentification", "Nouvelle authentification"),
    ("second_facteur.activation", "Second facteur activé"),
    (
        "second_facteur.codes_de_secours",
        "Codes de secours générés",
    ),
    ("mot_de_passe.changement", "Changement de son mot de passe"),
    ("deconnexion", "Déconnexion"),
    ("deconnexion.partout", "Déconnexion de toutes les sessions"),
    ("acces.refuse", "Accès refusé (rôle)"),
    ("csrf.refuse", "Requête d'un autre site refusée"),
    ("session.invalide", "Session expirée ou fermée présentée"),
    ("second_facteur.echec", "Échec du second facteur"),
    (
        "second_facteur.activation_echec",
        "Échec de l'activation du second facteur",
    ),
    (
        "reauthentification.echec",
        "Échec de la nouvelle authentification",
    ),
    ("mot_de_passe.echec", "Mot de passe actuel erroné"),
    ("utilisateur.*", "Utilisateurs : toutes les actions"),
    ("utilisateur.creation", "Création d'un compte"),
    (
        "utilisateur.creation_refusee",
        "Création d'un compte refusée",
    ),
    ("utilisateur.modification", "Modification d'un compte"),
    (
        "utilisateur.modification_refusee",
        "Modification d'un compte refusée",
    ),
    ("utilisateur.reactivation", "Réactivation d'un compte"),
    ("utilisateur.desactivation", "Désactivation d'un compte"),
    ("utilisateur.mot_de_passe", "Changement de mot de passe"),
    (
        "utilisateur.mot_de_passe_reinitialise",
        "Mot de passe réinitialisé",
    ),
    (
        "utilisateur.second_facteur_reinitialise",
        "Second facteur réinitialisé",
    ),
    (
        "utilisateur.sessions_fermees",
        "Sessions d'un compte fermées",
    ),
    (
        "utilisateur.confirmation_demandee",
        "Compte en attente de confirmation",
    ),
    ("utilisateur.confirmation", "Confirmation d'un compte"),
    (
        "utilisateur.confirmation_refusee",
        "Confirmation d'un compte refusée",
    ),
    ("parametre.*", "Paramètres : toutes les actions"),
    ("parametre.ajout", "Ajout d'une valeur de paramètre"),
    (
        "parametre.population",
        "Population d'un territoire modifiée",
    ),
    ("parametre.libelle", "Libellé d'un paramètre modifié"),
    ("parametre.desactivation", "Paramètre désactivé"),
    ("parametre.reactivation", "Paramètre réactivé"),
    ("parametre.suppression", "Paramètre supprimé"),
    ("parametre.deplacement", "Paramètre déplacé dans la liste"),
    ("parametre.refus", "Modification de paramètre refusée"),
    ("parametre.modification", "Réglage modifié"),
    ("territoire.ajout", "Ajout d'un territoire"),
    ("service.ajout", "Ajout d'un service"),
    (
        "service.coordonnees",
        "Adresse ou courriel d'un service modifié",
    ),
    ("document.*", "Documents : toutes les actions"),
    (
        "document.creation",
        "Courrier ou document ajouté à un dossier",
    ),
    ("document.telechargement", "Téléchargement d'un document"),
    ("relance.*", "Relances des services : toutes les actions"),
    ("relance.lot", "Relance des services (courriers groupés)"),
    (
        "relance.consultation",
        "Consultation d'une relance des services",
    ),
    (
        "relance.impression",
        "PDF d'une relance des services téléchargé",
    ),
    ("entete.modification", "En-tête des courriers modifié"),
    (
        "annuaire.modification",
        "Annuaire des destinataires modifié",
    ),
    ("compte.coordonnees", "Coordonnées d'un compte modifiées"),
    ("audit.*", "Traçabilité : toutes les actions"),
    ("audit.consultation", "Consultation de la traçabilité"),
    (
        "audit.recherche_enfant",
        "Recherche d'un enfant dans la traçabilité",
    ),
    ("audit.export", "Export de la traçabilité"),
    ("audit.purge", "Purge des entrées anciennes"),
    ("instance.creation", "Création de la base"),
    (
        "instance.creation_demo",
        "Création de la base de démonstration",
    ),
    ("demo.generation", "Génération de données de démonstration"),
];

/// The French label of an action, when Vigie knows it.
pub fn action_label(code: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code && !c.ends_with('*'))
        .map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_actions_have_a_french_label_and_families_are_not_labels() {
        assert_eq!(
            action_label("dossier.consultation"),
            Some("Consultation d'un dossier")
        );
        assert_eq!(action_label("dossier.*"), None);
        assert_eq!(action_label("inconnue"), None);
    }
}

"""Texts of the client side (DESIGN.md §3 K), kept apart so that the big catalogues take them with one line each."""

from __future__ import annotations

PL: dict[str, str] = {
    "role.client": "klient biura",
    "users.client_binding": "Rolę klienta biura nadaje tylko zaproszenie z karty klienta; "
    "konto biura nie może jej mieć.",
    "clientside.client_only": "To działanie jest tylko dla użytkownika klienta biura.",
    # invitations
    "invitation.email_invalid": "Adres e-mail „{email}” jest niepoprawny. Wpisz adres w postaci nazwa@firma.pl.",
    "invitation.not_found": "Nie ma zaproszenia o numerze {id}.",
    "invitation.resend_accepted": "Zaproszenie zostało już przyjęte; konto klienta istnieje, nie trzeba go wysyłać.",
    "invitation.resend_revoked": "Zaproszenie zostało wycofane. Wyślij nowe zaproszenie.",
    "invitation.revoke_accepted": "Zaproszenie zostało już przyjęte; aby odebrać dostęp, wyłącz konto użytkownika.",
    "invitation.link_unknown": "Ten link aktywacyjny jest nieznany. Sprawdź, czy skopiowano go w całości, albo "
    "poproś biuro o nowe zaproszenie.",
    "invitation.link_expired": "Link aktywacyjny wygasł. Poproś biuro rachunkowe o ponowne wysłanie zaproszenia.",
    "invitation.link_accepted": "Ten link został już użyty i konto jest aktywne. Zaloguj się swoim loginem i hasłem.",
    "invitation.link_revoked": "Biuro wycofało to zaproszenie. Skontaktuj się z biurem rachunkowym.",
    "invitation.state.pending": "oczekuje",
    "invitation.state.expired": "wygasło",
    "invitation.state.accepted": "przyjęte",
    "invitation.state.revoked": "wycofane",
    "mail.invitation.subject": "Zaproszenie do KSeF Office Console: {client}",
    "mail.invitation.body": "Dzień dobry,\n\nbiuro rachunkowe zaprasza Panią/Pana do konsoli KSeF firmy {client}.\n"
    "Aby ustawić login i hasło, otwórz link (ważny {hours} godz., jednorazowy):\n\n{link}\n\n"
    "Jeśli to pomyłka, zignoruj tę wiadomość.",
    # what the office allows
    "client_access.view_documents": "podgląd dokumentów",
    "client_access.authenticate_link": "uwierzytelnienie własnego połączenia z KSeF",
    "client_access.send_invoices": "samodzielna wysyłka faktur",
    "client_access.not_allowed": "Biuro rachunkowe nie zezwoliło na: {what}. Skontaktuj się z biurem.",
}

EN: dict[str, str] = {
    "role.client": "office client",
    "users.client_binding": "The client role is given only by an invitation from the client's page; an office "
    "account cannot have it.",
    "clientside.client_only": "This action is only for a user of an office client.",
    "invitation.email_invalid": "The e-mail address “{email}” is not valid. Enter it as name@company.com.",
    "invitation.not_found": "There is no invitation number {id}.",
    "invitation.resend_accepted": "The invitation was already accepted; the client's account exists.",
    "invitation.resend_revoked": "The invitation was revoked. Send a new invitation.",
    "invitation.revoke_accepted": "The invitation was already accepted; to take access away, disable the user.",
    "invitation.link_unknown": "This activation link is unknown. Check it was copied whole, or ask the office for a "
    "new invitation.",
    "invitation.link_expired": "The activation link has expired. Ask the accounting office to resend the invitation.",
    "invitation.link_accepted": "This link was already used and the account is active. Sign in with your login.",
    "invitation.link_revoked": "The office revoked this invitation. Contact the accounting office.",
    "invitation.state.pending": "pending",
    "invitation.state.expired": "expired",
    "invitation.state.accepted": "accepted",
    "invitation.state.revoked": "revoked",
    "mail.invitation.subject": "Invitation to KSeF Office Console: {client}",
    "mail.invitation.body": "Hello,\n\nthe accounting office invites you to the KSeF console of {client}.\n"
    "To choose a login and a password, open the link (valid {hours} h, single use):\n\n{link}\n\n"
    "If this is a mistake, ignore this message.",
    "client_access.view_documents": "viewing documents",
    "client_access.authenticate_link": "authenticating its own KSeF link",
    "client_access.send_invoices": "sending invoices itself",
    "client_access.not_allowed": "The accounting office has not allowed: {what}. Contact the office.",
}

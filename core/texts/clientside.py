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
    # client programs and the intake API
    "program.name_invalid": "Nazwa programu jest wymagana (do {limit} znaków).",
    "program.exists": "Program „{name}” jest już połączony z tym klientem.",
    "program.removed": "Połączenie programu „{name}” zostało usunięte; dodaj je ponownie.",
    "program.not_found": "Nie ma połączenia programu o numerze {id}.",
    "intake.sign_in_failed": "Nie udało się zalogować: klucz firmy, nazwa programu albo hasło są niepoprawne. "
    "Sprawdź je w konfiguracji programu.",
    "intake.locked": "Program jest zablokowany na {minutes} min po kolejnych nieudanych logowaniach. Poproś biuro "
    "o ustawienie nowego hasła albo spróbuj później.",
    "intake.token_unknown": "Token jest nieznany albo został unieważniony. Zaloguj program ponownie.",
    "intake.token_expired": "Token wygasł. Zaloguj program ponownie.",
    "intake.document_not_found": "Nie ma dokumentu o numerze {id}.",
    "intake.invoice_not_found": "Nie ma otrzymanej faktury o numerze {id}.",
    "intake.invoice_no_xml": "Faktura {id} nie ma jeszcze pobranej treści XML.",
    "intake.upo_not_yet": "Dokument {id} nie ma jeszcze UPO: KSeF go jeszcze nie przyjął.",
    "intake.problem.refused": "Program klienta „{program}” przysłał fakturę, której nie przyjęto: {reason} "
    "Klient musi poprawić fakturę w swoim programie i wysłać ją ponownie.",
    "intake.problem.locked": "Program klienta „{program}” został zablokowany na {minutes} min po kolejnych "
    "błędnych hasłach. Ustaw nowe hasło w Programy klientów i przekaż je klientowi.",
    "intake.too_large": "Żądanie jest za duże: faktura może mieć najwyżej {limit} bajtów.",
    "intake.bad_request": "Niepoprawne żądanie: {reason}",
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
    "program.name_invalid": "A program name is required (up to {limit} characters).",
    "program.exists": "Program “{name}” is already linked to this client.",
    "program.removed": "The link of program “{name}” was removed; add it again.",
    "program.not_found": "There is no program link number {id}.",
    "intake.sign_in_failed": "Sign-in failed: the company key, the program name or the password is wrong. "
    "Check them in the program's configuration.",
    "intake.locked": "The program is locked for {minutes} min after repeated failed sign-ins. Ask the office for a "
    "new password or try later.",
    "intake.token_unknown": "The token is unknown or was revoked. Sign the program in again.",
    "intake.token_expired": "The token has expired. Sign the program in again.",
    "intake.document_not_found": "There is no document number {id}.",
    "intake.invoice_not_found": "There is no received invoice number {id}.",
    "intake.invoice_no_xml": "Invoice {id} has no XML downloaded yet.",
    "intake.upo_not_yet": "Document {id} has no UPO yet: KSeF has not accepted it yet.",
    "intake.problem.refused": "Client program “{program}” pushed an invoice that was not accepted: {reason} "
    "The client must correct the invoice in its program and push it again.",
    "intake.problem.locked": "Client program “{program}” was locked for {minutes} min after repeated wrong "
    "passwords. Set a new password in Client programs and pass it to the client.",
    "intake.too_large": "The request is too large: an invoice may have at most {limit} bytes.",
    "intake.bad_request": "Bad request: {reason}",
}

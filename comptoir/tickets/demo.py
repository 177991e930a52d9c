"""Demo workspace setup for `make run`: a group and a few canned replies (idempotent)."""

from __future__ import annotations

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Macro, Priority, Status, SupportGroup, Ticket, TicketType
from comptoir.tickets.services import ticket_create

# Each canned reply in French and in English: the ticket's language picks the text inserted.
DEMO_MACROS = (
    (
        "Demander plus d'informations / Ask for details",
        "Bonjour {requester_name},\n\nMerci pour votre message. Pour avancer sur le ticket {ticket_reference}, "
        "pourriez-vous nous envoyer une capture d'écran et la version du produit que vous utilisez ?\n\n{agent_name}",
        "Hello {requester_name},\n\nThank you for your message. To move ticket {ticket_reference} forward, "
        "could you send us a screenshot and the product version you use?\n\n{agent_name}",
        Status.PENDING,
        "",
    ),
    (
        "Problème résolu / Issue fixed",
        "Bonjour {requester_name},\n\nLe problème est corrigé. N'hésitez pas à nous répondre s'il persiste.\n\n"
        "{agent_name}",
        "Hello {requester_name},\n\nThe issue is fixed. Do reply if it comes back.\n\n{agent_name}",
        Status.SOLVED,
        "",
    ),
    (
        "Transmis à l'équipe technique / Escalated",
        "Bonjour {requester_name},\n\nNous avons transmis votre demande à notre équipe technique.\n\n{agent_name}",
        "Hello {requester_name},\n\nWe have passed your request on to our engineering team.\n\n{agent_name}",
        Status.ON_HOLD,
        Priority.HIGH,
    ),
)


def ensure_demo_workspace() -> None:
    group, _ = SupportGroup.objects.get_or_create(name="Support")
    group.members.add(*User.objects.filter(role__in=(Role.AGENT, Role.ADMIN)))
    for title, french, english, status, priority in DEMO_MACROS:
        Macro.objects.update_or_create(
            title=title,
            defaults={
                "body": french,
                "body_fr": french,
                "body_en": english,
                "status": status,
                "priority": priority,
            },
        )

    # The demo customer's first ticket, so that "My tickets" is not empty.
    customer = User.objects.filter(email="customer@example.com").first()
    if customer is not None and not Ticket.objects.filter(requester=customer).exists():
        ticket_create(
            email=customer.email,
            name=customer.name,
            subject="L'export CSV est vide / The CSV export is empty",
            description="Depuis la mise à jour, le fichier exporté ne contient que l'en-tête.\n\n"
            "Since the update, the exported file only holds the header row.",
            ticket_type=TicketType.INCIDENT,
            language="fr",
        )

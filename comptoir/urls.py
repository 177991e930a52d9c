from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from comptoir.api import token_views as api_token_views
from comptoir.branding import views as branding_views
from comptoir.core import views as core_views
from comptoir.deflection import views as deflection_views
from comptoir.editor import image_views as editor_image_views
from comptoir.helpcenter import sitemaps as helpcenter_sitemaps
from comptoir.helpcenter import views as helpcenter_views
from comptoir.monitoring import views as monitoring_views
from comptoir.portal import profile_views, public_views, ticket_views
from comptoir.portal import views as portal_views
from comptoir.workspace import availability_views as workspace_availability_views
from comptoir.workspace import branding_settings_views as workspace_branding_views
from comptoir.workspace import bulk_views as workspace_bulk_views
from comptoir.workspace import export_views as workspace_export_views
from comptoir.workspace import mail_views as workspace_mail_views
from comptoir.workspace import merge_views as workspace_merge_views
from comptoir.workspace import notice_views as workspace_notice_views
from comptoir.workspace import people_views as workspace_people_views
from comptoir.workspace import reports_views as workspace_reports_views
from comptoir.workspace import rules_settings_views as workspace_rules_views
from comptoir.workspace import settings_views as workspace_settings_views
from comptoir.workspace import sla_settings_views as workspace_sla_views
from comptoir.workspace import ticketform_views as workspace_ticketform_views
from comptoir.workspace import view_views as workspace_view_views
from comptoir.workspace import views as workspace_views
from comptoir.workspace import webhook_settings_views as workspace_webhook_views

# Why a page was refused, and what the person can do about it.
handler403 = "comptoir.workspace.refusal_views.permission_denied"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/welcome/", workspace_views.after_login, name="after_login"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # E-mailed links read /t/#<token>; /t/<token>/ is how e-mails wrote them before.
    path("t/", public_views.ticket_link, name="ticket_link"),
    path("t/<str:token>/", public_views.ticket_link_redeem, name="ticket_link_redeem"),
    path("altcha/challenge/", core_views.altcha_challenge, name="altcha_challenge"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", monitoring_views.readyz, name="readyz"),
    path("metrics", monitoring_views.metrics_view, name="metrics"),
    # The REST API (docs/api.md): no language prefix, a program's Accept-Language chooses.
    path("api/", include("comptoir.api.urls")),
    path("sitemap.xml", helpcenter_sitemaps.sitemap, name="sitemap"),
    path("robots.txt", helpcenter_sitemaps.robots_txt, name="robots_txt"),
    path("dev/", include("comptoir.devoutbox.urls")),
    # No language prefix: the same image in both languages, its address keyed by its content's hash.
    path("branding/logo/<str:digest>.<str:extension>", branding_views.logo, name="branding_logo"),
    path("articles/images/<str:token>.<str:extension>", editor_image_views.article_image, name="article_image"),
]

if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # Providers' inbound (and tracking) webhooks, only once they are protected:
    # anymail checks this basic-auth secret, and each provider's signature where it has one.
    urlpatterns.append(path("webhooks/anymail/", include("anymail.urls")))

urlpatterns += i18n_patterns(
    path("", helpcenter_views.home, name="home"),
    path("categories/<int:pk>-<slug:slug>/", helpcenter_views.category_detail, name="category_detail"),
    path("sections/<int:pk>-<slug:slug>/", helpcenter_views.section_detail, name="section_detail"),
    path("articles/<int:pk>-<slug:slug>/", helpcenter_views.article_detail, name="article_detail"),
    path("articles/<int:pk>/vote/", helpcenter_views.article_vote, name="article_vote"),
    path("search/", deflection_views.search_page, name="search"),
    path("tickets/new/", public_views.ticket_new, name="ticket_new"),
    path("tickets/new/sent/", public_views.ticket_sent, name="ticket_sent"),
    path("tickets/suggestions/", deflection_views.suggestions, name="ticket_suggestions"),
    path("tickets/suggestions/events/", deflection_views.suggestion_event, name="ticket_suggestion_event"),
    path("tickets/link/", public_views.link_request, name="link_request"),
    path("tickets/<int:reference>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:reference>/reply/", ticket_views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:reference>/solved/", ticket_views.ticket_solve, name="ticket_solve"),
    path("tickets/<int:reference>/survey/", ticket_views.ticket_survey, name="ticket_survey"),
    path("tickets/<int:reference>/account/", ticket_views.ticket_account, name="ticket_account"),
    path("tickets/sign-out/", ticket_views.ticket_sign_out, name="ticket_sign_out"),
    path("surveys/<str:token>/", public_views.survey, name="survey"),
    path("my/tickets/", portal_views.my_tickets, name="my_tickets"),
    path("my/profile/", profile_views.profile, name="profile"),
    path("my/profile/export/", profile_views.profile_export, name="profile_export"),
    path("my/profile/erase/", profile_views.profile_erase, name="profile_erase"),
    path("my/profile/api-tokens/", api_token_views.tokens, name="api_tokens"),
    path("my/profile/api-tokens/<int:pk>/revoke/", api_token_views.token_revoke, name="api_token_revoke"),
    path("statuses/", portal_views.statuses_help, name="statuses_help"),
    path("agent/", workspace_views.ticket_list, name="agent_tickets"),
    path("agent/sidebar/", workspace_views.sidebar, name="agent_sidebar"),
    path("agent/tickets/export/", workspace_export_views.ticket_export, name="agent_tickets_export"),
    path("agent/articles/", include("comptoir.editor.urls")),
    path("agent/tickets/<int:reference>/", workspace_views.ticket_page, name="agent_ticket"),
    path("agent/tickets/<int:reference>/update/", workspace_views.ticket_update, name="agent_ticket_update"),
    path("agent/tickets/<int:reference>/take/", workspace_views.ticket_take, name="agent_ticket_take"),
    path("agent/tickets/<int:reference>/follow/", workspace_views.ticket_follow, name="agent_ticket_follow"),
    path("agent/tickets/<int:reference>/presence/", workspace_views.presence, name="agent_presence"),
    path("agent/tickets/<int:reference>/ccs/", workspace_views.cc_add, name="agent_cc_add"),
    path("agent/tickets/<int:reference>/macros/", workspace_views.ticket_macros, name="agent_ticket_macros"),
    path("agent/tickets/<int:reference>/merge/", workspace_merge_views.merge, name="agent_ticket_merge"),
    path("agent/tickets/new/", workspace_people_views.ticket_new, name="agent_ticket_new"),
    path("agent/people/suggestions/", workspace_people_views.people_suggestions, name="agent_people_suggestions"),
    path(
        "agent/tickets/<int:reference>/requester/",
        workspace_people_views.requester_change,
        name="agent_requester_change",
    ),
    path("agent/tickets/<int:reference>/spam/", workspace_views.ticket_spam, name="agent_ticket_spam"),
    path("agent/views/", workspace_view_views.view_save, name="agent_view_save"),
    path("agent/views/<int:pk>/delete/", workspace_view_views.view_delete, name="agent_view_delete"),
    path("agent/views/<int:pk>/move/", workspace_view_views.view_move, name="agent_view_move"),
    path("agent/tickets/<int:reference>/delete/", workspace_merge_views.delete, name="agent_ticket_delete"),
    path("agent/notifications/", workspace_notice_views.notices, name="agent_notices"),
    path("agent/notifications/count/", workspace_notice_views.notice_count, name="agent_notice_count"),
    path("agent/notifications/read/", workspace_notice_views.notices_read, name="agent_notices_read"),
    path("agent/notifications/settings/", workspace_notice_views.notice_settings, name="agent_notice_settings"),
    path("agent/availability/", workspace_availability_views.availability, name="agent_availability"),
    path("agent/settings/", workspace_settings_views.settings_home, name="agent_settings"),
    path("agent/settings/branding/", workspace_branding_views.branding_settings, name="agent_branding_settings"),
    path("agent/settings/service-levels/", workspace_sla_views.sla_settings, name="agent_sla_settings"),
    path(
        "agent/settings/service-levels/schedules/new/",
        workspace_sla_views.sla_schedule_new,
        name="agent_sla_schedule_new",
    ),
    path(
        "agent/settings/service-levels/schedules/<int:schedule_id>/",
        workspace_sla_views.sla_schedule_edit,
        name="agent_sla_schedule",
    ),
    path(
        "agent/settings/service-levels/schedules/<int:schedule_id>/delete/",
        workspace_sla_views.sla_schedule_delete,
        name="agent_sla_schedule_delete",
    ),
    path(
        "agent/settings/service-levels/policies/new/",
        workspace_sla_views.sla_policy_new,
        name="agent_sla_policy_new",
    ),
    path(
        "agent/settings/service-levels/policies/<int:policy_id>/",
        workspace_sla_views.sla_policy_edit,
        name="agent_sla_policy",
    ),
    path(
        "agent/settings/service-levels/policies/<int:policy_id>/move/",
        workspace_sla_views.sla_policy_move,
        name="agent_sla_policy_move",
    ),
    path(
        "agent/settings/service-levels/policies/<int:policy_id>/delete/",
        workspace_sla_views.sla_policy_delete,
        name="agent_sla_policy_delete",
    ),
    path("agent/settings/rules/", workspace_rules_views.rules_settings, name="agent_rules_settings"),
    path("agent/settings/rules/new/", workspace_rules_views.rule_new, name="agent_rule_new"),
    path("agent/settings/rules/new-automation/", workspace_rules_views.automation_new, name="agent_automation_new"),
    path("agent/settings/rules/<int:rule_id>/", workspace_rules_views.rule_edit, name="agent_rule"),
    path("agent/settings/rules/<int:rule_id>/move/", workspace_rules_views.rule_move, name="agent_rule_move"),
    path("agent/settings/rules/<int:rule_id>/toggle/", workspace_rules_views.rule_toggle, name="agent_rule_toggle"),
    path("agent/settings/rules/<int:rule_id>/delete/", workspace_rules_views.rule_delete, name="agent_rule_delete"),
    path(
        "agent/settings/ticket-forms/", workspace_ticketform_views.ticketform_settings, name="agent_ticketform_settings"
    ),
    path(
        "agent/settings/ticket-forms/fields/new/", workspace_ticketform_views.ticket_field_edit, name="agent_field_new"
    ),
    path(
        "agent/settings/ticket-forms/fields/<int:field_id>/",
        workspace_ticketform_views.ticket_field_edit,
        name="agent_field",
    ),
    path("agent/settings/ticket-forms/forms/new/", workspace_ticketform_views.ticket_form_edit, name="agent_form_new"),
    path(
        "agent/settings/ticket-forms/forms/<int:form_id>/",
        workspace_ticketform_views.ticket_form_edit,
        name="agent_form",
    ),
    path(
        "agent/tickets/<int:reference>/fields/",
        workspace_ticketform_views.ticket_fields_update,
        name="agent_ticket_fields",
    ),
    path("agent/settings/webhooks/", workspace_webhook_views.webhook_settings, name="agent_webhook_settings"),
    path("agent/settings/webhooks/new/", workspace_webhook_views.webhook_new, name="agent_webhook_new"),
    path("agent/settings/webhooks/<int:webhook_id>/", workspace_webhook_views.webhook_edit, name="agent_webhook"),
    path(
        "agent/settings/webhooks/<int:webhook_id>/rotate/",
        workspace_webhook_views.webhook_rotate,
        name="agent_webhook_rotate",
    ),
    path(
        "agent/settings/webhooks/<int:webhook_id>/enable/",
        workspace_webhook_views.webhook_enable,
        name="agent_webhook_enable",
    ),
    path(
        "agent/settings/webhooks/<int:webhook_id>/send-again/",
        workspace_webhook_views.webhook_send_again_given_up,
        name="agent_webhook_send_again",
    ),
    path(
        "agent/settings/webhooks/<int:webhook_id>/delete/",
        workspace_webhook_views.webhook_delete,
        name="agent_webhook_delete",
    ),
    path(
        "agent/settings/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/",
        workspace_webhook_views.webhook_delivery,
        name="agent_webhook_delivery",
    ),
    path(
        "agent/settings/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/send-again/",
        workspace_webhook_views.webhook_delivery_send_again,
        name="agent_webhook_delivery_send_again",
    ),
    path("agent/tickets/bulk/", workspace_bulk_views.bulk_update, name="agent_bulk_update"),
    path("agent/tickets/bulk/<int:job_id>/", workspace_bulk_views.bulk_job, name="agent_bulk_job"),
    path(
        "agent/tickets/bulk/<int:job_id>/progress/",
        workspace_bulk_views.bulk_job_progress,
        name="agent_bulk_job_progress",
    ),
    path("agent/tickets/merge/", workspace_merge_views.merge_selected, name="agent_tickets_merge"),
    path("agent/macros/", workspace_views.macro_options, name="agent_macro_options"),
    path("agent/tags/suggestions/", workspace_views.tag_suggestions, name="agent_tag_suggestions"),
    path(
        "agent/organisations/suggestions/",
        workspace_views.organisation_suggestions,
        name="agent_organisation_suggestions",
    ),
    path(
        "agent/tickets/<int:reference>/organisation/",
        workspace_views.requester_organisation,
        name="agent_requester_organisation",
    ),
    path("agent/tickets/<int:reference>/ccs/<int:cc_id>/remove/", workspace_views.cc_remove, name="agent_cc_remove"),
    path("agent/mail/quarantine/", workspace_mail_views.quarantine_list, name="agent_quarantine"),
    path("agent/help-center/deflection/", deflection_views.report, name="agent_deflection"),
    path("agent/reports/", workspace_reports_views.reports, name="agent_reports"),
    path("agent/mail/<int:pk>/", workspace_mail_views.inbound_detail, name="agent_inbound"),
    path("agent/mail/<int:pk>/raw/", workspace_mail_views.inbound_raw, name="agent_inbound_raw"),
    path("agent/mail/<int:pk>/parts/<int:index>/", workspace_mail_views.inbound_part, name="agent_inbound_part"),
    path("agent/mail/<int:pk>/release/", workspace_mail_views.quarantine_action, name="agent_quarantine_action"),
    path(
        "tickets/<int:reference>/attachments/<int:attachment_id>/",
        ticket_views.attachment_download,
        name="attachment_download",
    ),
)

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from arena.models import (
    ApiKey,
    Arena,
    Battle,
    Competitor,
    Completion,
    Endpoint,
    GenerationJob,
    Judge,
    JudgeCall,
    JudgeTemplate,
    JudgingPolicy,
    LiveBattle,
    LiveTurn,
    Prompt,
    PromptSet,
    User,
    Vote,
    VoterFlag,
    VoterGroup,
    VoteTag,
)
from arena.services.api_keys import api_key_create, api_key_revoke
from arena.services.generation import generation_jobs_start_for_competitor
from arena.services.identity import completions_identity_scan, completions_leak_allow
from arena.services.judging import judging_start
from arena.services.null_models import null_model_clear

admin.site.register(User, UserAdmin)


class GenerationJobInline(admin.TabularInline[GenerationJob, Competitor]):
    """The progress of its generated answers, arena by arena (reload the page to follow it)."""

    model = GenerationJob
    extra = 0
    can_delete = False
    fields = ["arena", "status", "n_done", "n_prompts", "n_failures", "retries", "last_error"]
    readonly_fields = ["arena", "status", "n_done", "n_prompts", "n_failures", "retries"]
    readonly_fields += ["last_error"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Competitor)
class CompetitorAdmin(admin.ModelAdmin[Competitor]):
    """Flagged null models (answers that ignore the prompt) are listed under their filter; the
    action clears one after an operator has looked at its answers."""

    list_display = [
        "name",
        "organisation",
        "is_active",
        "null_model_flagged",
        "null_model_cleared",
        "null_model_score",
        "created_at",
    ]
    list_filter = ["is_active", "null_model_flagged", "null_model_cleared", "organisation"]
    search_fields = ["name", "organisation"]
    readonly_fields = ["null_model_score", "null_model_flagged"]
    actions = ["clear_null_model", "generate_answers"]
    inlines = [GenerationJobInline]

    def save_model(self, request: HttpRequest, obj: Competitor, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.endpoint_id is not None and "endpoint" in form.changed_data:
            generation_jobs_start_for_competitor(competitor_id=obj.pk)

    @admin.action(description="Generate its missing answers in its arenas (through its endpoint)")
    def generate_answers(self, request: HttpRequest, queryset: QuerySet[Competitor]) -> None:
        jobs = [
            j
            for c in queryset
            for j in generation_jobs_start_for_competitor(competitor_id=c.pk, force=True)
        ]
        self.message_user(request, f"{len(jobs)} generation job(s) queued.")

    @admin.action(description="Allow on leaderboards (cleared after review)")
    def clear_null_model(self, request: HttpRequest, queryset: QuerySet[Competitor]) -> None:
        for competitor in queryset:
            null_model_clear(competitor=competitor)
        self.message_user(request, f"{queryset.count()} competitor(s) cleared.")


@admin.register(Judge)
class JudgeAdmin(admin.ModelAdmin[Judge]):
    list_display = ["name", "is_active", "endpoint", "template", "created_at"]
    search_fields = ["name"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    """The key is never stored: ``api_key_setting`` names the setting or variable holding it."""

    list_display = [
        "name",
        "base_url",
        "model",
        "api_key_setting",
        "concurrency",
        "timeout_seconds",
    ]
    search_fields = ["name", "model", "base_url"]


@admin.register(JudgeTemplate)
class JudgeTemplateAdmin(admin.ModelAdmin[JudgeTemplate]):
    list_display = ["name", "scale", "is_builtin"]


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin[GenerationJob]):
    list_display = ["competitor", "arena", "status", "n_done", "n_prompts", "n_failures", "retries"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in GenerationJob._meta.fields]


@admin.register(JudgingPolicy)
class JudgingPolicyAdmin(admin.ModelAdmin[JudgingPolicy]):
    list_display = [
        "judge",
        "arena",
        "mode",
        "sample_share",
        "budget_calls",
        "calls_made",
        "is_active",
    ]
    list_filter = ["mode", "is_active"]
    actions = ["judge_now"]

    @admin.action(description="Judge now (budget: draw battles until the budget is spent)")
    def judge_now(self, request: HttpRequest, queryset: QuerySet[JudgingPolicy]) -> None:
        for judging in queryset:
            judging_start(judging_id=judging.pk)
        self.message_user(request, f"{queryset.count()} judging run(s) queued.")


@admin.register(JudgeCall)
class JudgeCallAdmin(admin.ModelAdmin[JudgeCall]):
    list_display = [
        "judging",
        "battle",
        "status",
        "verdict",
        "attempts",
        "latency_ms",
        "created_at",
    ]
    list_filter = ["status", "judging"]
    readonly_fields = [f.name for f in JudgeCall._meta.fields]


class LiveTurnInline(admin.TabularInline[LiveTurn, LiveBattle]):
    model = LiveTurn
    extra = 0
    can_delete = False
    fields = ("number", "prompt", "completion_a", "completion_b")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LiveBattle)
class LiveBattleAdmin(admin.ModelAdmin[LiveBattle]):
    """Own-prompt battles: their state, why one was voided, and the conversation."""

    list_display = ["battle", "status", "void_reason", "updated_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in LiveBattle._meta.fields]
    inlines = [LiveTurnInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin[Prompt]):
    list_display = ["id", "short_text", "category", "language", "external_id"]
    list_filter = ["category", "language"]
    search_fields = ["text", "external_id"]
    readonly_fields = ["content_hash"]

    @admin.display(description="text")
    def short_text(self, prompt: Prompt) -> str:
        return prompt.text[:80]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin[Completion]):
    list_display = [
        "id",
        "competitor",
        "prompt_id",
        "n_tokens",
        "header_count",
        "list_count",
        "bold_count",
        "identity_leak",
        "leak_allowed",
    ]
    list_filter = ["leak_allowed", "competitor"]
    search_fields = ["text", "identity_leak"]
    raw_id_fields = ["prompt"]
    readonly_fields = [
        "n_chars",
        "n_tokens",
        "header_count",
        "list_count",
        "bold_count",
        "identity_leak",
    ]
    actions = ["identity_rescan", "leak_allow"]

    @admin.action(description="Look again for names, makers and phrases that reveal the author")
    def identity_rescan(self, request: HttpRequest, queryset: QuerySet[Completion]) -> None:
        found = completions_identity_scan(completions=queryset)
        self.message_user(request, f"{found} of the selected answers reveal their competitor.")

    @admin.action(description="Serve in anonymous battles although they reveal the author")
    def leak_allow(self, request: HttpRequest, queryset: QuerySet[Completion]) -> None:
        count = completions_leak_allow(completions=queryset)
        self.message_user(request, f"{count} answers may now be served; votes on them are marked.")


@admin.register(Battle)
class BattleAdmin(admin.ModelAdmin[Battle]):
    list_display = [
        "public_id",
        "competitor_a",
        "competitor_b",
        "origin",
        "created_at",
        "expires_at",
    ]
    list_filter = ["origin", "arena"]
    search_fields = ["public_id"]
    raw_id_fields = ["prompt", "completion_a", "completion_b", "user", "judge"]
    list_select_related = ["competitor_a", "competitor_b"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin[Vote]):
    """Votes are evidence: the admin shows them but does not edit them."""

    list_display = [
        "id",
        "battle",
        "outcome",
        "source",
        "voter_kind",
        "judge",
        "identity_revealed",
        "created_at",
    ]
    list_filter = ["source", "voter_kind", "outcome", "identity_revealed", "battle__arena", "judge"]
    search_fields = ["battle__public_id", "external_voter"]
    list_select_related = ["battle", "judge"]
    raw_id_fields = ["battle", "user", "judge"]

    def has_change_permission(self, request: object, obj: Vote | None = None) -> bool:
        return False


@admin.register(Arena)
class ArenaAdmin(admin.ModelAdmin[Arena]):
    list_display = [
        "name",
        "slug",
        "visibility",
        "voting_rule",
        "daily_vote_cap",
        "pairing_policy",
        "is_default",
    ]
    list_filter = ["visibility", "voting_rule"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["competitors", "prompt_sets", "voter_groups"]


@admin.register(PromptSet)
class PromptSetAdmin(admin.ModelAdmin[PromptSet]):
    list_display = ["name", "version", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["prompts"]


@admin.register(VoterGroup)
class VoterGroupAdmin(admin.ModelAdmin[VoterGroup]):
    list_display = ["name", "slug", "invitation_link"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    readonly_fields = ["invitation_link"]

    @admin.display(description="invitation link")
    def invitation_link(self, group: VoterGroup) -> str:
        return f"/groups/join/{group.invite_token}/" if group.pk else "(after saving)"


@admin.register(VoteTag)
class VoteTagAdmin(admin.ModelAdmin[VoteTag]):
    list_display = ["vote", "side", "tag"]
    list_filter = ["tag", "side"]
    raw_id_fields = ["vote"]

    def has_change_permission(self, request: object, obj: VoteTag | None = None) -> bool:
        return False


class ApiKeyCreateForm(forms.ModelForm[ApiKey]):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "judge", "user"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scopes = data.get("scopes", [])
        if ApiKey.Scope.SUBMIT in scopes and not data.get("user"):
            raise forms.ValidationError("The submit scope needs a user, who owns the uploads.")
        if ApiKey.Scope.JUDGE not in scopes and not data.get("user"):
            raise forms.ValidationError("A key without the judge scope needs a user to act for.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are made here or by `manage.py judge_key`; the secret is shown once, in a message."""

    list_display = ["name", "prefix", "scopes", "judge", "user", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    fields = ["name", "scopes", "judge", "user", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        # A key's owner and scopes are fixed once it exists: revoke it and make another.
        if obj is not None:
            return [*self.readonly_fields, "name", "scopes", "judge", "user", "revoked_at"]
        return list(self.readonly_fields)

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        key, secret = api_key_create(
            name=obj.name, scopes=obj.scopes, judge=obj.judge, user=obj.user
        )
        obj.pk = key.pk
        messages.warning(request, f"The new key is {secret} — copy it now; it is not shown again.")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            api_key_revoke(api_key=key)


@admin.register(VoterFlag)
class VoterFlagAdmin(admin.ModelAdmin[VoterFlag]):
    """Why each voter was flagged; written by the flagging job only, so read-only here.

    A browser session is shown by a pseudonym: its key is a credential.
    """

    list_display = ["kind", "arena", "who", "n_votes", "score", "favoured", "reason", "created_at"]
    list_filter = ["kind", "arena"]
    list_select_related = ["arena", "favoured", "user"]
    fields = ["arena", "kind", "who", "n_votes", "score", "p_value", "favoured", "reason"]
    readonly_fields = ["arena", "kind", "who", "n_votes", "score", "p_value", "favoured", "reason"]

    @admin.display(description="voter")
    def who(self, flag: VoterFlag) -> str:
        if flag.user_id is not None:
            return f"user {flag.user}"
        if flag.session_key:
            return "session " + hashlib.sha256(flag.session_key.encode()).hexdigest()[:12]
        if flag.external_voter:
            return f"imported voter {flag.external_voter}"
        return f"address {flag.client_ip}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: VoterFlag | None = None) -> bool:
        return False

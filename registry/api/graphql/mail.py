"""GraphQL for e-mail preferences (issue 14, part 3): a person's own digest (daily, weekly or none) and
the organisation's default, which administrators set. Sending is registry.services.mail's."""

from __future__ import annotations

from enum import Enum

import strawberry

from registry.api.graphql.context import Info
from registry.api.graphql.results import payload, result, typed_errors
from registry.services import mail as mail_uc


@strawberry.enum(description="How often a leader gets the digest of what waits in her follow-up (Dit overblik): "
                             "daily, weekly (Monday from 07.00) or not at all. Mail about her own mandate is sent "
                             "at once whatever she chooses.")
class MailDigest(Enum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


@strawberry.type(description="A person's e-mail preferences: the digest she gets, her own choice, and the "
                             "organisation's default (for those who have not chosen).")
class MailPreferences:
    digest: MailDigest = strawberry.field(description="What she gets: her own choice, or else the default.")
    own: MailDigest | None = strawberry.field(description="Her own choice; null: she follows the default.")
    default: MailDigest = strawberry.field(description="The organisation's default.")

    @classmethod
    def of(cls, p: mail_uc.Preferences) -> "MailPreferences":
        return cls(digest=MailDigest(p.digest), own=None if p.own is None else MailDigest(p.own),
                   default=MailDigest(p.default))


MailPreferencesPayload = payload("MailPreferencesPayload", preferences=MailPreferences)
MailPreferencesResult = result("MailPreferencesResult", MailPreferencesPayload)
MailDigestDefaultPayload = payload("MailDigestDefaultPayload", digest=MailDigest)
MailDigestDefaultResult = result("MailDigestDefaultResult", MailDigestDefaultPayload)


@strawberry.type
class MailQuery:
    @strawberry.field(description="Your own e-mail preferences (people only).")
    async def my_mail_preferences(self, info: Info) -> MailPreferences:
        return MailPreferences.of(await mail_uc.preferences(info.context.ctx))


@strawberry.type
class MailMutation:
    @strawberry.mutation(description="Choose your digest: daily, weekly or none; null to follow the organisation's "
                                     "default.")
    @typed_errors
    async def set_my_mail_digest(self, info: Info, digest: MailDigest | None) -> MailPreferencesResult:
        prefs, revision = await mail_uc.set_own(info.context.ctx, None if digest is None else digest.value)
        return MailPreferencesPayload(preferences=MailPreferences.of(prefs), revision=revision)

    @strawberry.mutation(description="Set the organisation's default digest, for those who have not chosen "
                                     "(administrators).")
    @typed_errors
    async def set_mail_digest_default(self, info: Info, digest: MailDigest) -> MailDigestDefaultResult:
        value, revision = await mail_uc.set_default(info.context.ctx, digest.value)
        return MailDigestDefaultPayload(digest=MailDigest(value), revision=revision)

from __future__ import annotations

from datetime import timedelta

from django import forms

from .models import AuthType, Integration

# Hours an old token may keep working after a rotation: long enough to update every IdP
# configuration, short enough that a leaked token does not linger for weeks.
MAX_GRACE_HOURS = 168


NAME_MAX_LENGTH = Integration._meta.get_field("name").max_length


def _name_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Name",
        required=required,
        max_length=NAME_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class _NamedForm(forms.Form):
    """A form with an integration name that no other integration of the organization has."""

    def __init__(self, *args, organization, exclude_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.exclude_pk = exclude_pk

    def clean_name(self) -> str:
        from .services import integration_name_problem

        name = self.cleaned_data["name"]
        if name and (
            problem := integration_name_problem(
                organization=self.organization, name=name, exclude_pk=self.exclude_pk
            )
        ):
            raise forms.ValidationError(problem)
        return name


class IntegrationCreateForm(_NamedForm):
    name = _name_field(required=False)
    name.help_text = (
        "Optional. Tells integrations apart in lists, the audit trail and the activity, for example "
        "“Okta production”. Left empty, it is named SCIM (then SCIM 2, SCIM 3, …); you can rename it later."
    )
    # The choices come from the model, so a new authentication type (OAuth 2.0 client
    # credentials) appears here once it exists there.
    auth_type = forms.ChoiceField(
        label="Authentication Type",
        choices=AuthType.choices,
        initial=AuthType.TOKEN,
        help_text="How your identity provider proves who it is on every request.",
    )


class IntegrationRenameForm(_NamedForm):
    name = _name_field(required=True)


class TokenRotateForm(forms.Form):
    OLD_TOKEN_CHOICES = [
        ("revoke", "Revoke the old token now"),
        ("grace", "Keep the old token working for a while"),
    ]
    old_token = forms.ChoiceField(
        label="The current token", choices=OLD_TOKEN_CHOICES, initial="grace", widget=forms.RadioSelect
    )
    HOURS_NEEDED = f"Say how many hours the old token keeps working (1 to {MAX_GRACE_HOURS})."
    grace_hours = forms.IntegerField(
        label="Hours the old token keeps working",
        min_value=1,
        max_value=MAX_GRACE_HOURS,
        initial=24,
        required=False,
        # One message for any value out of place: Django's own would come with this one.
        error_messages={"invalid": HOURS_NEEDED, "min_value": HOURS_NEEDED, "max_value": HOURS_NEEDED},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("old_token") == "revoke":
            # The hours are hidden and unused when the old token is revoked now: whatever the
            # field still holds must not stop the rotation.
            self.errors.pop("grace_hours", None)
        elif (
            cleaned.get("old_token") == "grace"
            and not cleaned.get("grace_hours")
            and "grace_hours" not in self.errors
        ):
            self.add_error("grace_hours", self.HOURS_NEEDED)
        return cleaned

    @property
    def grace(self) -> timedelta:
        if self.cleaned_data["old_token"] == "revoke":
            return timedelta(0)
        return timedelta(hours=self.cleaned_data["grace_hours"])


class ActivityFilterForm(forms.Form):
    """The filters above the activity list: a GET form, so a filtered view is a link to share."""

    RESOURCE_CHOICES = [("", "Users and groups"), ("User", "Users"), ("Group", "Groups")]

    only_errors = forms.BooleanField(label="Errors only", required=False)
    resource = forms.ChoiceField(label="Resource", choices=RESOURCE_CHOICES, required=False)
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=512,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "userName or SCIM id", "spellcheck": "false"}),
    )

    def filters(self):
        from .selectors import ActivityFilters

        if not self.is_valid():
            return ActivityFilters()
        data = self.cleaned_data
        return ActivityFilters(
            errors_only=bool(data["only_errors"]), resource_type=data["resource"], person=data["person"]
        )

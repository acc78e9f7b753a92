from django import forms


class CorrectionForm(forms.Form):
    message = forms.CharField(
        label="Ce que le porteur doit corriger",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Expliquez au porteur ce qu’il doit corriger."},
    )

"""Factories for staff accounts, shared by the tests and the demo newsroom."""

from __future__ import annotations

import factory

from .models import User


class UserFactory(factory.django.DjangoModelFactory[User]):
    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    class Meta:
        model = User
        django_get_or_create = ("username",)

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)

"""CI/CD support: the rule table the workflows implement, a static simulator of GitHub Actions
events that proves the rules, the release gate that reads evaluation verdicts, and the small
build steps (images, lambda zips) the nox sessions run in CI."""

// The herd user CLI.
print("herd: commands are being added; see README.md")

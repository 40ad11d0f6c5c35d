from vidhost.cli import app

app(prog_name="vidhost")

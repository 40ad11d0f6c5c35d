from vidhost.app.cli import app

app(prog_name="vidhost")

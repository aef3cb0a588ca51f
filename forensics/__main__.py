from forensics.launch import run

run()

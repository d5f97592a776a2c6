from twin_dashboard.cli import main

main()

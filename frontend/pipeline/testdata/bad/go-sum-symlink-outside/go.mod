module example.com/app

go 1.24

require example.com/lib v1.0.0

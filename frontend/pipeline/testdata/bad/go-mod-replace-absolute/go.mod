module example.com/app

go 1.24

replace example.com/lib => /src/lib
